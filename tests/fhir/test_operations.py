"""The operations' own logic, with stand-in services (no models)."""

import base64

import pytest

from nlp_service.errors import Errors, ServiceError
from nlp_service.fhir import operations
from nlp_service.fhir.outcome import operation_outcome
from nlp_service.schemas import DeidentifyResult, RecordAnalysis, Replacement


def docref(text="Seen by Dr. Patel.", **extra) -> dict:
    return {"resourceType": "DocumentReference", "status": "current", **extra,
            "content": [{"attachment": {"contentType": "text/plain", "language": "en",
                                        "data": base64.b64encode(text.encode()).decode()}}]}


class FakePhi:
    def __init__(self, error: ServiceError | None = None):
        self.calls: list[tuple] = []
        self.error = error

    def deidentify(self, text, operator=None, operators=None, patient_key=None):
        self.calls.append((text, operator, operators, patient_key))
        if self.error:
            raise self.error
        begin = text.index("Patel")
        finding = Replacement(type="NAME", begin=begin, end=begin + 5, score=0.9, recognizer="r", operator="redact",
                              replacement="", new_begin=begin, new_end=begin)
        return DeidentifyResult(text=text.replace("Patel", ""), operator="redact", findings=[finding], version="x")


@pytest.mark.parametrize(
    ("subject", "key"),
    [({"reference": "Patient/p1"}, "Patient/p1"),
     ({"identifier": {"system": "urn:oid:1.2.3", "value": "MRN9"}}, "urn:oid:1.2.3|MRN9"),
     ({"display": "someone"}, None), (None, None)],
)
def test_patient_key_comes_from_the_subject(subject, key):
    phi = FakePhi()
    data = docref(**({"subject": subject} if subject else {}))
    result = operations.deidentify(data, phi, "redact", {"DATE": "shift_dates"})
    assert phi.calls == [("Seen by Dr. Patel.", "redact", {"DATE": "shift_dates"}, key)]
    attachment = result.content[0].attachment
    assert attachment.data == b"Seen by Dr. ." and attachment.language == "en"
    assert [(c.code, c.display) for c in result.meta.security] == [("REDACTED", "redacted")]
    assert result.subject is None


def test_option_errors_pass_through_and_text_errors_are_located():
    option = Errors.UNKNOWN_OPERATOR.error(name="x", choices="mask")
    with pytest.raises(ServiceError) as info:
        operations.deidentify(docref(), FakePhi(option))
    assert info.value is option and not info.value.errors
    with pytest.raises(ServiceError) as info:
        operations.deidentify(docref(), FakePhi(Errors.BINARY_TEXT.error(what="text")))
    assert info.value.errors == [{"field": "DocumentReference.content[0].attachment.data", "message": "Binary content"}]


class FakeAnalyzer:
    def analyze(self, text):
        if "boom" in text:
            raise Errors.TEXT_TOO_LONG.error(length=len(text), limit=3)
        return RecordAnalysis(text_length=len(text), entities=[
            {"text": "pain", "begin": text.index("pain"), "end": text.index("pain") + 4, "category": "PROBLEM"}],
            version="x")


def test_bundle_keeps_going_after_an_analysis_error():
    bundle = operations.analyze({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": docref("boom pain")}, {"resource": docref("no pain")}]}, FakeAnalyzer())
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds == ["OperationOutcome", "Condition", "Provenance"]
    issue = bundle.entry[0].resource.issue[0]
    assert (issue.code, issue.details.coding[0].code, issue.expression) == (
        "too-long", "E104", ["Bundle.entry[0].resource.content[0].attachment.data"])
    assert len({e.fullUrl for e in bundle.entry}) == 3


def test_operation_outcome_shapes():
    single = operation_outcome(Errors.FHIR_BASE64.error(where="X", reason="bad", errors=[
        {"field": "DocumentReference.content[0].attachment.data", "message": "not valid base64"}]))
    assert len(single.issue) == 1 and single.issue[0].expression == ["DocumentReference.content[0].attachment.data"]
    assert single.issue[0].severity == "error" and single.issue[0].diagnostics == "X is not valid base64: bad."
    several = operation_outcome(Errors.FHIR_INVALID.error(summary="S", errors=[
        {"field": "DocumentReference.status", "message": "a"}, {"field": "operator", "message": "b"}]))
    assert [(i.diagnostics, i.expression) for i in several.issue] == [
        ("S", None), ("a", ["DocumentReference.status"]), ("operator: b", None)]
    fatal = operation_outcome(Errors.INTERNAL.error(request_id="r1"))
    assert (fatal.issue[0].severity, fatal.issue[0].code) == ("fatal", "exception")

"""POST /fhir/r4/DocumentReference/$analyze and POST /fhir/r4/$deidentify over real HTTP."""

import base64
import json
import logging

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.fhir.conftest import FHIR_JSON, auth_headers

ANALYZE = "/fhir/r4/DocumentReference/$analyze"
DEIDENTIFY = "/fhir/r4/$deidentify"
NOTE = ("Patient denies chest pain. Mother has type 2 diabetes. Started metformin 500 mg PO BID. "
        "CT abdomen showed no abscess. History of appendectomy.")
PHI_NOTE = "Pt John Smith MRN: 48213375 seen 3/4/21 by Dr. Okonkwo. Denies chest pain. Call 617-555-0199."


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode("utf-8") if isinstance(text, str) else text).decode("ascii")


def docref(text: str | None = NOTE, data: str | None = None, content_type: str = "text/plain", **extra) -> dict:
    return {"resourceType": "DocumentReference", "status": "current", **extra,
            "content": [{"attachment": {"contentType": content_type, "data": data if data is not None else b64(text)}}]}


def types(bundle: dict) -> list[str]:
    return [e["resource"]["resourceType"] for e in bundle.get("entry", [])]


def outcome(body: dict) -> tuple[str, str, str]:
    """(issue code, catalogue code, diagnostics) of the first issue, after validating the OperationOutcome."""
    OperationOutcome.model_validate(body)
    issue = body["issue"][0]
    return issue["code"], issue["details"]["coding"][0]["code"], issue["diagnostics"]


def test_single_document_reference(fhir_call):
    status, headers, body = fhir_call(ANALYZE, docref(id="note-1", subject={"reference": "Patient/p1"}))
    assert status == 200 and headers["Content-Type"] == FHIR_JSON
    assert body["resourceType"] == "Bundle" and body["type"] == "collection"
    assert types(body) == ["Condition", "FamilyMemberHistory", "MedicationStatement", "Observation", "Condition",
                           "Procedure", "Provenance"]
    Bundle.model_validate(body)
    for entry in body["entry"]:
        assert entry["fullUrl"].startswith("urn:uuid:")
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    provenance = body["entry"][-1]["resource"]
    assert [t["reference"] for t in provenance["target"]] == [e["fullUrl"] for e in body["entry"][:-1]]
    assert provenance["entity"][0]["what"]["reference"] == "DocumentReference/note-1"
    subjects = {(r.get("subject") or r.get("patient"))["reference"] for r in (e["resource"] for e in body["entry"][:-1])}
    assert subjects == {"Patient/p1"}


def test_bundle_of_two_with_one_bad(fhir_call):
    good_url = "urn:uuid:6f1c2d3e-0000-4000-8000-000000000001"
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"fullUrl": good_url, "resource": docref(subject={"reference": "Patient/p1"})},
        {"fullUrl": "urn:uuid:6f1c2d3e-0000-4000-8000-000000000002", "resource": docref(data="not base64!")},
        {"resource": docref("Possible pneumonia.", id="note-3")},
    ]}
    status, _, body = fhir_call(ANALYZE, bundle)
    assert status == 200
    assert types(body) == ["Condition", "FamilyMemberHistory", "MedicationStatement", "Observation", "Condition",
                           "Procedure", "Provenance", "OperationOutcome", "Condition", "Provenance"]
    first, second = [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "Provenance"]
    assert first["entity"][0]["what"]["reference"] == good_url
    assert second["entity"][0]["what"]["reference"] == "DocumentReference/note-3"
    assert len(first["target"]) == 6 and len(second["target"]) == 1
    bad = body["entry"][7]["resource"]
    assert outcome(bad)[:2] == ("value", "E134")
    assert bad["issue"][0]["expression"] == ["Bundle.entry[1].resource.content[0].attachment.data"]
    Bundle.model_validate(body)


def test_bundle_entry_that_is_too_long_loses_only_itself(fhir_call):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": docref("x " * 50_001)}, {"resource": docref("Denies chest pain.")}]}
    status, _, body = fhir_call(ANALYZE, bundle)
    assert status == 200 and types(body) == ["OperationOutcome", "Condition", "Provenance"]
    assert outcome(body["entry"][0]["resource"])[:2] == ("too-long", "E104")
    assert body["entry"][0]["resource"]["issue"][0]["expression"] == [
        "Bundle.entry[0].resource.content[0].attachment.data"]


@pytest.mark.parametrize(
    ("body", "issue", "code", "needle"),
    [
        (b"{not json", "structure", "E100", "not valid JSON"),
        ({"resourceType": "Patient"}, "not-supported", "E131", "'Patient'"),
        ({**docref(), "status": 7}, "structure", "E130", "DocumentReference.status"),
        ({**docref(), "content": []}, "required", "E132", "has no content"),
        ({**docref(), "content": [{"attachment": {"contentType": "text/plain"}}]}, "required", "E132", "has no data"),
        (docref(data="UGF0aWVudCBk!ZW5pZXM="), "value", "E134", "not valid base64"),
        (docref(data=b64("Caf\xe9 au lait".encode("latin-1"))), "value", "E103", "not valid UTF-8"),
        (docref(content_type="application/pdf"), "not-supported", "E133", "'application/pdf'"),
        (docref(content_type="text/plain; charset=windows-1252"), "not-supported", "E133", "'windows-1252'"),
        (docref(data=""), "required", "E110", "empty"),
        ({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": docref()}]}, "not-supported", "E131",
         "'searchset'"),
        ({"resourceType": "Bundle", "type": "batch", "entry": []}, "structure", "E130", "no entries"),
    ],
    ids=["not-json", "wrong-resource-type", "fails-validation", "no-content", "no-data", "bad-base64", "not-utf8",
         "pdf", "charset", "empty", "bundle-type", "empty-bundle"],
)
def test_malformed_fhir_is_a_400_operation_outcome(fhir_call, body, issue, code, needle):
    status, headers, data = fhir_call(ANALYZE, body)
    assert status == 400 and headers["Content-Type"] == FHIR_JSON
    got_issue, got_code, diagnostics = outcome(data)
    assert (got_issue, got_code) == (issue, code)
    assert needle in json.dumps(data)
    assert "Patient denies" not in json.dumps(data) and diagnostics


def test_validation_outcome_names_each_element(fhir_call):
    status, _, data = fhir_call(ANALYZE, {**docref(), "status": 7, "bogus": True})
    assert status == 400
    expressions = {e for issue in data["issue"] for e in issue.get("expression", [])}
    assert {"DocumentReference.status", "DocumentReference.bogus"} <= expressions


def test_wrong_media_type_is_415(fhir_call):
    status, headers, data = fhir_call(ANALYZE, json.dumps(docref()).encode(), content_type="text/plain")
    assert status == 415 and headers["Content-Type"] == FHIR_JSON
    assert outcome(data)[:2] == ("not-supported", "E135")


def test_plain_json_is_accepted(fhir_call):
    status, _, data = fhir_call(ANALYZE, json.dumps(docref("Denies chest pain.")).encode(),
                                content_type="application/json; charset=utf-8")
    assert status == 200 and types(data) == ["Condition", "Provenance"]


def test_body_too_large_is_413(fhir_call):
    status, headers, data = fhir_call(ANALYZE, docref("a" * 1_100_000))
    assert status == 413 and headers["Content-Type"] == FHIR_JSON
    assert outcome(data)[:2] == ("too-long", "E105")


def test_unknown_path_and_wrong_method_are_operation_outcomes(fhir_call):
    status, _, data = fhir_call("/fhir/r4/Patient/1", method="GET")
    assert status == 404 and outcome(data)[:2] == ("not-found", "E200")
    status, headers, data = fhir_call(ANALYZE, method="GET")
    assert status == 405 and headers["Allow"] == "POST" and outcome(data)[:2] == ("not-supported", "E201")


def test_unknown_parameter_is_rejected(fhir_call):
    status, _, data = fhir_call(ANALYZE + "?mode=fast", docref())
    assert status == 400 and outcome(data)[:2] == ("invalid", "E136")


def test_without_credentials_the_answer_is_still_fhir(fhir_server):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(fhir_server + ANALYZE, data=json.dumps(docref()).encode(), method="POST",
                                 headers={"Content-Type": FHIR_JSON})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, headers, body = resp.status, resp.headers, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        status, headers, body = err.code, err.headers, json.loads(err.read())
    assert headers["Content-Type"] == FHIR_JSON
    if status == 401:  # auth on (the default): rendered by this blueprint's handler
        assert outcome(body)[:2] == ("login", "E220")
    else:
        assert status == 200 and body["resourceType"] == "Bundle"


def test_the_rest_of_the_app_keeps_problem_json(fhir_server):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(fhir_server + "/v1/records/analyze", data=b"{not json", method="POST",
                                 headers={**auth_headers(), "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=60)
    assert info.value.code == 400 and info.value.headers["Content-Type"] == "application/problem+json"
    assert json.loads(info.value.read())["code"] == "E100"


# -- $deidentify -------------------------------------------------------------------------------------
def decoded(resource: dict) -> str:
    return base64.b64decode(resource["content"][0]["attachment"]["data"]).decode("utf-8")


def test_deidentify_returns_a_document_reference_without_the_phi(fhir_call):
    sent = docref(PHI_NOTE, id="n1", subject={"reference": "Patient/p1", "display": "John Smith"},
                  description="Discharge note for John Smith", identifier=[{"value": "48213375"}],
                  type={"text": "Discharge summary"})
    status, headers, body = fhir_call(DEIDENTIFY, sent)
    assert status == 200 and headers["Content-Type"] == FHIR_JSON
    DocumentReference.model_validate(body)
    text = decoded(body)
    for value in ("John", "Smith", "48213375", "Okonkwo", "3/4/21", "617-555-0199"):
        assert value not in json.dumps(body) and value not in text
    assert text.startswith("Pt [NAME] MRN: [ID] seen [DATE] by Dr. [NAME].") and "Denies chest pain." in text
    assert body["content"][0]["attachment"]["contentType"] == "text/plain; charset=utf-8"
    assert body["type"] == {"text": "Discharge summary"} and body["status"] == "current"
    assert not {"id", "subject", "identifier", "description"} & body.keys()
    assert body["meta"]["security"] == [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
                                         "code": "MASKED", "display": "masked"}]


def test_deidentify_operators_are_query_parameters(fhir_call):
    sent = docref(PHI_NOTE, subject={"reference": "Patient/p1"})
    query = "?operator=surrogate&operators=DATE:shift_dates"
    status, _, first = fhir_call(DEIDENTIFY + query, sent)
    _, _, second = fhir_call(DEIDENTIFY + query, sent)
    assert status == 200
    text = decoded(first)
    assert "Smith" not in text and "3/4/21" not in text and "[NAME]" not in text
    assert text == decoded(second)  # the subject is the patient key: same surrogates every time
    assert first["meta"]["security"][0]["code"] == "PSEUDED"


@pytest.mark.parametrize(
    ("query", "code"),
    [("?operator=scramble", "E108"), ("?operators=DISEASE:mask", "E109"), ("?operators=DATE", "E136"),
     ("?patient_key=p1", "E136"), ("?operator=mask&operator=redact", "E136")],
)
def test_deidentify_bad_parameters(fhir_call, query, code):
    status, _, data = fhir_call(DEIDENTIFY + query, docref(PHI_NOTE))
    assert status == 400 and outcome(data)[1] == code


def test_deidentify_takes_one_document(fhir_call):
    status, _, data = fhir_call(DEIDENTIFY, {"resourceType": "Bundle", "type": "batch",
                                             "entry": [{"resource": docref(PHI_NOTE)}]})
    assert status == 400 and outcome(data)[:2] == ("not-supported", "E131")
    status, _, data = fhir_call(DEIDENTIFY, docref(data="%%%"))
    assert status == 400 and outcome(data)[1] == "E134"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_no_note_text_reaches_the_logs(fhir_app, caplog):
    caplog.set_level(logging.DEBUG)
    collect = _Collect()
    service_log = logging.getLogger("nlp_service")
    service_log.addHandler(collect)
    try:
        client = fhir_app.test_client()
        headers = {**auth_headers(), "Content-Type": FHIR_JSON}
        client.post(ANALYZE, data=json.dumps(docref(PHI_NOTE)), headers=headers)
        client.post(ANALYZE, data=json.dumps({"resourceType": "Bundle", "type": "batch", "entry": [
            {"resource": docref(PHI_NOTE)}, {"resource": docref(PHI_NOTE, content_type="text/html")}]}), headers=headers)
        client.post(DEIDENTIFY + "?operator=surrogate", data=json.dumps(docref(PHI_NOTE)), headers=headers)
    finally:
        service_log.removeHandler(collect)
    records = collect.records + caplog.records
    assert collect.records, "expected access-log records"
    logged = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in records)
    for value in ("Smith", "48213375", "Okonkwo", "chest pain", "617-555-0199", b64(PHI_NOTE)[:20]):
        assert value not in logged

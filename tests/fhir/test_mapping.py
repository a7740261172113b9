"""RecordAnalysis -> FHIR resources, on what the analyser really returns for realistic notes."""

import base64
import itertools
import json
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.reference import Reference

from nlp_service.errors import ServiceError
from nlp_service.fhir import operations
from nlp_service.fhir.mapping import (
    ASSERTION_EXTENSION,
    DATA_ABSENT_REASON,
    DERIVATION_REFERENCE,
    ICD10CM,
    Context,
    entity_resource,
    map_analysis,
    unknown_subject,
)
from nlp_service.schemas import Entity, RecordAnalysis
from nlp_service.version import __version__

NOTE = ("Patient denies chest pain. Mother has type 2 diabetes. Started metformin 500 mg PO BID. "
        "CT abdomen showed no abscess. History of appendectomy.")
NOTE2 = ("Possible pneumonia. Return if fever develops. h/o HTN. Albuterol 2 puffs inhaled q4h prn wheezing. "
         "No family history of colon cancer. Father had MI. Vancomycin 1 g IV q12h x 7 days. "
         "Patient's roommate has flu. CBC ordered. BP 130/80.")
RECORDED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def docref(text: str, **extra) -> dict:
    return {"resourceType": "DocumentReference", "status": "current", **extra,
            "content": [{"attachment": {"contentType": "text/plain; charset=utf-8",
                                        "data": base64.b64encode(text.encode("utf-8")).decode("ascii")}}]}


def counter():
    numbers = itertools.count(1)
    return lambda: f"urn:uuid:00000000-0000-0000-0000-{next(numbers):012d}"


def analyze(analyzer, data) -> dict:
    """Run $analyze and return the Bundle as the JSON a client gets."""
    bundle = operations.analyze(data, analyzer, recorded=RECORDED, full_url=counter())
    return json.loads(bundle.model_dump_json())


def resources(bundle: dict, resource_type: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def by_text(bundle: dict, text: str) -> dict:
    """The resource whose code (or condition code) text is ``text``."""
    for entry in bundle["entry"]:
        r = entry["resource"]
        concept = r.get("code") or r.get("medicationCodeableConcept") or (r.get("condition") or [{}])[0].get("code")
        if concept and concept.get("text") == text:
            return r
    raise AssertionError(f"no resource for {text!r}")


def extension(resource: dict, url: str) -> dict:
    ext = next(e for e in resource["extension"] if e["url"] == url)
    return {e["url"]: next(v for k, v in e.items() if k.startswith("value")) for e in ext["extension"]
            if e["url"] != "cue"} | {"cues": [{c["url"]: next(v for k, v in c.items() if k.startswith("value"))
                                              for c in cue["extension"]}
                                             for cue in ext["extension"] if cue["url"] == "cue"]}


def coding(concept: dict, system: str) -> list[tuple[str, str]]:
    return [(c["code"], c.get("display")) for c in concept.get("coding", []) if c["system"] == system]


@pytest.fixture(scope="module")
def bundle(analyzer):
    return analyze(analyzer, docref(NOTE, id="note-1", subject={"reference": "Patient/p1"},
                                    context={"encounter": [{"reference": "Encounter/e1"}]}))


@pytest.fixture(scope="module")
def bundle2(analyzer):
    return analyze(analyzer, docref(NOTE2, id="note-2", subject={"reference": "Patient/p1"}))


def test_resource_per_entity_in_text_order(bundle):
    assert [(e["resource"]["resourceType"], e["fullUrl"][-2:]) for e in bundle["entry"]] == [
        ("Condition", "01"), ("FamilyMemberHistory", "02"), ("MedicationStatement", "03"), ("Observation", "04"),
        ("Condition", "05"), ("Procedure", "06"), ("Provenance", "07")]
    assert bundle["type"] == "collection" and bundle["timestamp"].startswith("2026-01-02T03:04:05")


def test_negated_problem_is_a_refuted_condition(bundle):
    chest = by_text(bundle, "chest pain")
    assert chest["resourceType"] == "Condition"
    assert coding(chest["verificationStatus"], "http://terminology.hl7.org/CodeSystem/condition-ver-status") == [
        ("refuted", "Refuted")]
    assert "clinicalStatus" not in chest
    assert extension(chest, ASSERTION_EXTENSION)["certainty"] == "negated"
    assert by_text(bundle, "abscess")["verificationStatus"]["coding"][0]["code"] == "refuted"


def test_linked_problem_carries_its_icd10cm_code(bundle):
    chest = by_text(bundle, "chest pain")
    assert coding(chest["code"], ICD10CM) == [("R07.9", "Chest pain, unspecified")]
    assert chest["code"]["coding"][0]["version"].isdigit()  # the code-set year
    assert len(chest["code"]["coding"]) == 1  # the best code only: the others are alternatives


def test_family_problem_is_a_family_member_history(bundle):
    assert not [c for c in resources(bundle, "Condition") if c["code"]["text"] == "type 2 diabetes"]
    fmh = by_text(bundle, "type 2 diabetes")
    assert fmh["resourceType"] == "FamilyMemberHistory" and fmh["status"] == "partial"
    assert fmh["patient"] == {"reference": "Patient/p1"}
    assert coding(fmh["relationship"], "http://terminology.hl7.org/CodeSystem/v3-RoleCode") == [("MTH", "mother")]
    assert fmh["relationship"]["text"] == "Mother"
    # the linker ranks Z83.3 "Family history of diabetes mellitus" first; the condition itself is E11.9
    assert coding(fmh["condition"][0]["code"], ICD10CM)[0][0] == "E11.9"
    assert extension(fmh, ASSERTION_EXTENSION)["subject"] == "family"


def test_medication_dosage_from_attributes(bundle):
    med = by_text(bundle, "metformin")
    assert med["resourceType"] == "MedicationStatement" and med["status"] == "active"
    assert med["subject"] == {"reference": "Patient/p1"} and med["context"] == {"reference": "Encounter/e1"}
    dose = med["dosage"][0]
    assert dose["text"] == "500 mg PO BID"
    assert dose["doseAndRate"][0]["doseQuantity"] == {"value": 500, "unit": "mg", "system": "http://unitsofmeasure.org",
                                                      "code": "mg"}
    assert dose["route"] == {"coding": [{"system": "http://snomed.info/sct", "code": "26643006",
                                         "display": "Oral route"}], "text": "PO"}
    assert dose["timing"]["repeat"] == {"frequency": 2, "period": 1, "periodUnit": "d"}
    assert dose["timing"]["code"]["coding"][0]["code"] == "BID"


def test_tests_and_procedures(bundle):
    ct = by_text(bundle, "CT abdomen")
    assert ct["resourceType"] == "Observation" and ct["status"] == "final"
    assert ct["category"][0]["coding"][0]["code"] == "imaging"
    assert ct["encounter"] == {"reference": "Encounter/e1"}
    appendectomy = by_text(bundle, "appendectomy")
    assert appendectomy["resourceType"] == "Procedure" and appendectomy["status"] == "completed"
    assert extension(appendectomy, ASSERTION_EXTENSION)["temporality"] == "historical"


def test_offsets_and_cues_match_the_source_text(bundle):
    checked = 0
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Provenance":
            continue
        span = extension(resource, DERIVATION_REFERENCE)
        assert span["reference"] == {"reference": "DocumentReference/note-1", "type": "DocumentReference"}
        assert span["path"] == "DocumentReference.content[0].attachment.data"
        concept = resource.get("code") or resource.get("medicationCodeableConcept") or resource["condition"][0]["code"]
        assert NOTE[span["offset"]:span["offset"] + span["length"]] == concept["text"]
        for cue in extension(resource, ASSERTION_EXTENSION)["cues"]:
            assert NOTE[cue["offset"]:cue["offset"] + cue["length"]] == cue["text"]
            checked += 1
    assert checked == 4  # denies, Mother, no, History of
    denies = extension(by_text(bundle, "chest pain"), ASSERTION_EXTENSION)["cues"]
    assert denies == [{"text": "denies", "offset": 8, "length": 6, "axis": "certainty", "value": "negated",
                       "rule": "neg.fwd.denies"}]


def test_offsets_count_characters_of_non_ascii_text(analyzer):
    text = "Café crème 😀 résumé.\r\nPatient denies chest pain."
    bundle = analyze(analyzer, docref(text))
    span = extension(by_text(bundle, "chest pain"), DERIVATION_REFERENCE)
    assert text[span["offset"]:span["offset"] + span["length"]] == "chest pain"
    assert span["offset"] == text.index("chest pain")


def test_provenance_targets_every_resource_and_points_at_the_document(bundle):
    (prov,) = resources(bundle, "Provenance")
    others = [e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] != "Provenance"]
    assert [t["reference"] for t in prov["target"]] == others
    assert prov["entity"] == [{"role": "source", "what": {"reference": "DocumentReference/note-1",
                                                          "type": "DocumentReference"}}]
    (agent,) = prov["agent"]
    assert agent["who"] == {"reference": "#nlp-service", "display": f"nlp-service {__version__}"}
    assert agent["type"]["coding"][0]["code"] == "assembler"
    (device,) = prov["contained"]
    assert device["resourceType"] == "Device" and device["id"] == "nlp-service"
    assert device["version"] == [{"value": __version__}] and device["deviceName"][0]["name"] == "nlp-service"
    assert prov["recorded"].startswith("2026-01-02T03:04:05")


def test_every_resource_revalidates(bundle, bundle2):
    for data in (bundle, bundle2):
        Bundle.model_validate_json(json.dumps(data))
        for entry in data["entry"]:
            resource = entry["resource"]
            parsed = get_fhir_model_class(resource["resourceType"]).model_validate_json(json.dumps(resource))
            assert json.loads(parsed.model_dump_json()) == resource  # nothing lost or reinterpreted


def test_assertion_mapping_on_real_cues(bundle2):
    def status(text):
        r = by_text(bundle2, text)
        return (r.get("clinicalStatus", {}).get("coding", [{}])[0].get("code"),
                r["verificationStatus"]["coding"][0]["code"])

    assert status("pneumonia") == ("active", "provisional")  # "Possible"
    assert status("fever") == (None, "unconfirmed")  # "Return if": hypothetical
    assert status("HTN") == ("inactive", "confirmed")  # "h/o": historical
    assert coding(by_text(bundle2, "HTN")["code"], ICD10CM)[0][0] == "I10"


def test_who_is_not_the_patient(bundle2):
    texts = {(r.get("code") or (r.get("condition") or [{}])[0].get("code") or {}).get("text")
             for r in (e["resource"] for e in bundle2["entry"])}
    assert "flu" not in texts  # the roommate's
    assert "colon cancer" not in texts  # "No family history of": R4 cannot say a relative does not have it
    mi = by_text(bundle2, "MI")
    assert mi["resourceType"] == "FamilyMemberHistory" and mi["relationship"]["coding"][0]["code"] == "FTH"


def test_real_sigs(bundle2):
    albuterol = by_text(bundle2, "Albuterol")["dosage"][0]
    assert albuterol["asNeededBoolean"] is True
    assert albuterol["doseAndRate"][0]["doseQuantity"] == {"value": 2, "unit": "puffs"}
    assert albuterol["route"]["coding"][0]["code"] == "447694001"
    assert albuterol["timing"]["code"]["coding"][0]["code"] == "Q4H"
    vanc = by_text(bundle2, "Vancomycin")["dosage"][0]
    assert vanc["text"] == "1 g IV q12h x 7 days"  # the sig as written
    assert vanc["timing"]["repeat"]["boundsDuration"]["code"] == "d" and vanc["timing"]["repeat"]["period"] == 12
    assert vanc["route"]["coding"][0]["code"] == "47625008"
    assert by_text(bundle2, "CBC")["category"][0]["coding"][0]["code"] == "laboratory"
    assert by_text(bundle2, "BP")["category"][0]["coding"][0]["code"] == "vital-signs"


def test_without_subject_the_subject_is_data_absent(analyzer):
    bundle = analyze(analyzer, docref("Denies chest pain. Started aspirin. CT head."))
    absent = {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}
    assert by_text(bundle, "chest pain")["subject"] == absent
    assert by_text(bundle, "aspirin")["subject"] == absent
    assert "subject" not in by_text(bundle, "CT head")  # optional on Observation
    (prov,) = resources(bundle, "Provenance")
    assert prov["entity"][0]["what"] == {"type": "DocumentReference", "display": "the DocumentReference sent in the request"}


def test_nothing_to_map_gives_an_empty_bundle(analyzer):
    bundle = analyze(analyzer, docref("Seen today. Follow up in two weeks."))
    assert "entry" not in bundle and bundle["type"] == "collection"


def test_analysis_errors_of_a_single_document_raise_with_its_location(analyzer):
    with pytest.raises(ServiceError) as info:
        operations.analyze(docref("x" * 100_001), analyzer)
    assert info.value.code == "E104" and info.value.status == 413
    assert info.value.errors[0]["field"] == "DocumentReference.content[0].attachment.data"


def test_status_tables_for_every_assertion():
    """The mapping for assertions the notes above do not produce (built by hand)."""
    ctx = Context(source=Reference(reference="DocumentReference/x"), subject=unknown_subject(), encounter=None,
                  data_path="DocumentReference.content[0].attachment.data")

    def make(category, certainty="positive", temporality="current", subject="patient", type_=None):
        return entity_resource(Entity(text="x", begin=0, end=1, category=category, type=type_,
                                      assertion={"certainty": certainty, "temporality": temporality,
                                                 "subject": subject}), ctx)

    assert make("MEDICATION", certainty="negated").status == "not-taken"
    assert make("MEDICATION", temporality="hypothetical").status == "intended"
    assert make("MEDICATION", certainty="possible").status == "unknown"
    assert make("MEDICATION", temporality="historical").status == "completed"
    assert make("MEDICATION", subject="family") is None
    assert make("TEST_OR_PROCEDURE", certainty="negated", type_="procedure").status == "not-done"
    assert make("TEST_OR_PROCEDURE", temporality="hypothetical", type_="therapy").status == "preparation"
    assert make("TEST_OR_PROCEDURE", certainty="negated", type_="lab").status == "cancelled"
    assert make("TEST_OR_PROCEDURE", temporality="hypothetical", type_="imaging").status == "registered"
    assert make("TEST_OR_PROCEDURE", type_=None).category is None
    assert make("ANATOMY") is None
    assert make("PROBLEM", certainty="negated", temporality="historical").clinicalStatus is None
    possible = make("PROBLEM", certainty="possible", subject="family")
    assert type(possible).__name__ == "FamilyMemberHistory" and "possible" in possible.condition[0].note[0].text


def test_map_analysis_without_entities_makes_no_provenance():
    empty = RecordAnalysis(text_length=3, version="x")
    assert map_analysis(empty, Reference(reference="DocumentReference/x"), "DocumentReference.content[0].attachment.data") == []

import pytest

from nlp_service.records.sections import SectionDetector


@pytest.fixture(scope="module")
def detector():
    return SectionDetector()


@pytest.mark.parametrize(
    ("header", "category"),
    [
        ("HISTORY OF PRESENT ILLNESS:", "history_of_present_illness"),
        ("HPI:", "history_of_present_illness"),
        ("Past Medical History:", "past_medical_history"),
        ("PMH:", "past_medical_history"),
        ("Past Surgical Hx:", "past_surgical_history"),
        ("Home Medications:", "medications"),
        ("Discharge Meds:", "medications"),
        ("ALLERGIES:", "allergies"),
        ("Family Hx:", "family_history"),
        ("FH:", "family_history"),
        ("Social History:", "social_history"),
        ("ROS:", "review_of_systems"),
        ("Review of Systems", "review_of_systems"),
        ("PHYSICAL EXAMINATION:", "physical_exam"),
        ("PE:", "physical_exam"),
        ("Pertinent Results:", "labs_and_results"),
        ("Labs:", "labs_and_results"),
        ("IMAGING:", "imaging"),
        ("Assessment and Plan:", "assessment_and_plan"),
        ("A/P:", "assessment_and_plan"),
        ("Impression/Plan:", "assessment_and_plan"),
        ("Discharge Instructions:", "discharge_instructions"),
        ("Discharge Diagnoses:", "diagnoses"),
        ("Brief Hospital Course:", "hospital_course"),
        ("Chief Complaint:", "chief_complaint"),
        ("1. PAST MEDICAL HISTORY:", "past_medical_history"),
        ("  # Follow-up:", "follow_up"),
    ],
)
def test_sections_header_variants(detector, header, category):
    text = f"{header} something here\nmore text" if header.endswith(":") else f"{header}\nsomething here"
    sections = detector.find(text)
    assert [s.category for s in sections] == [category]
    assert text[sections[0].title_begin : sections[0].title_end] == header.strip(" 1.#:").rstrip(":")


@pytest.mark.parametrize(
    "text",
    [
        "The patient has a history of asthma.",
        "Family: at bedside and supportive",
        "a: not a header without context",
        "lungs clear to auscultation",
    ],
)
def test_sections_running_text_is_not_a_header(detector, text):
    assert detector.find(text) == []


def test_sections_spans_cover_until_next_header(detector):
    text = "HPI: cough.\nPMH:\n1. HTN\nPLAN: rest"
    s = detector.find(text)
    assert [x.category for x in s] == ["history_of_present_illness", "past_medical_history", "assessment_and_plan"]
    assert (s[0].begin, s[0].end) == (0, text.index("PMH"))
    assert s[-1].end == len(text)
    assert text[s[1].body_begin :].startswith("\n1. HTN")


def test_sections_inline_header_after_sentence_end(detector):
    text = "Assessment: stable. Plan: continue aspirin."
    assert [s.category for s in detector.find(text)] == ["assessment_and_plan", "assessment_and_plan"]


def test_sections_radiology_exam_is_technique(detector):
    text = "EXAM: CT head\nHISTORY: fall\nFINDINGS: none\nIMPRESSION: normal"
    cats = [s.category for s in detector.find(text)]
    assert cats == ["technique", "indication", "findings", "impression"]

import pytest

from nlp_service.errors import ServiceError
from nlp_service.schemas import RecordAnalysis

NOTE = """CHIEF COMPLAINT: shortness of breath

HISTORY OF PRESENT ILLNESS: 72 yo F with h/o CHF, HTN, DM2 and afib presents with worsening SOB
and orthopnea x 3 days. Denies chest pain, fever or cough. Possible pneumonia.

PAST MEDICAL HISTORY:
1. COPD
2. CKD stage 3

FAMILY HISTORY: Mother with breast cancer. Father had MI at 60.

MEDICATIONS:
- metoprolol succinate 50 mg PO daily
- Lasix 40 mg PO BID
- insulin glargine 20 units SC qHS

ASSESSMENT AND PLAN:
1. Acute on chronic CHF exacerbation - IV diuresis, daily weights. Echo. Check BNP and troponin.
2. Return to ED if chest pain develops.
"""


@pytest.fixture(scope="module")
def result(analyzer) -> RecordAnalysis:
    return analyzer.analyze(NOTE)


def find(result, text, occurrence=0):
    hits = [e for e in result.entities if e.text == text]
    assert len(hits) > occurrence, f"{text!r} not found; entities: {[e.text for e in result.entities]}"
    return hits[occurrence]


def test_analyzer_offsets_are_exact(result):
    for item in [*result.entities, *result.sentences]:
        assert NOTE[item.begin : item.end] == item.text
    for entity in result.entities:
        for attribute in entity.attributes:
            assert NOTE[attribute.begin : attribute.end] == attribute.text
        for cue in entity.cues:
            assert NOTE[cue.begin : cue.end] == cue.text


def test_analyzer_sections(result):
    assert [s.category for s in result.sections] == [
        "chief_complaint", "history_of_present_illness", "past_medical_history",
        "family_history", "medications", "assessment_and_plan"]
    assert result.sections[0].begin == 0 and result.sections[-1].end == len(NOTE)


@pytest.mark.parametrize(
    ("text", "category"),
    [("CHF", "PROBLEM"), ("HTN", "PROBLEM"), ("DM2", "PROBLEM"), ("afib", "PROBLEM"), ("SOB", "PROBLEM"),
     ("orthopnea", "PROBLEM"), ("COPD", "PROBLEM"), ("breast cancer", "PROBLEM"), ("MI", "PROBLEM"),
     ("Lasix", "MEDICATION"), ("insulin glargine", "MEDICATION"), ("troponin", "TEST_OR_PROCEDURE"),
     ("BNP", "TEST_OR_PROCEDURE"), ("Echo", "TEST_OR_PROCEDURE")],
)
def test_analyzer_finds_clinical_abbreviations(result, text, category):
    assert find(result, text).category == category


def test_analyzer_problem_types_and_codes(result):
    htn = find(result, "HTN")
    assert htn.type == "diagnosis"
    assert htn.codes and htn.codes[0].code == "I10" and htn.codes[0].system == "ICD-10-CM"
    assert find(result, "SOB").type == "symptom"


@pytest.mark.parametrize(
    ("text", "certainty", "temporality", "subject"),
    [
        ("CHF", "positive", "historical", "patient"),
        ("chest pain", "negated", "current", "patient"),
        ("fever", "negated", "current", "patient"),
        ("pneumonia", "possible", "current", "patient"),
        ("COPD", "positive", "historical", "patient"),
        ("breast cancer", "positive", "current", "family"),
        ("MI", "positive", "current", "family"),
    ],
)
def test_analyzer_assertions_on_lexicon_entities(result, text, certainty, temporality, subject):
    a = find(result, text).assertion
    assert (a.certainty.value, a.temporality.value, a.subject.value) == (certainty, temporality, subject)


def test_analyzer_hypothetical_in_return_precautions(result):
    last_chest_pain = [e for e in result.entities if e.text == "chest pain"][-1]
    assert last_chest_pain.assertion.temporality.value == "hypothetical"


def test_analyzer_medication_attributes(result):
    lasix = find(result, "Lasix")
    assert [(a.type.value, a.text) for a in lasix.attributes] == [
        ("STRENGTH", "40 mg"), ("ROUTE", "PO"), ("FREQUENCY", "BID")]


def test_analyzer_request_terms_win_over_lexicon(analyzer):
    text = "Pt reports crushing substernal pressure."
    result = analyzer.analyze(text, [{"text": "crushing substernal pressure", "category": "PROBLEM"}])
    e = next(e for e in result.entities if e.source == "request")
    assert (e.text, e.begin, e.end, e.category.value) == ("crushing substernal pressure", 11, 39, "PROBLEM")
    assert not any(x.begin < e.end and e.begin < x.end for x in result.entities if x is not e)


def test_analyzer_request_term_known_to_the_lexicon_gets_its_codes(analyzer):
    result = analyzer.analyze("Denies chest pain.", [("chest pain", "PROBLEM")])
    e = result.entities[0]
    assert (e.source, e.type) == ("request", "symptom")
    assert e.codes and e.codes[0].code.startswith("R07")


def test_analyzer_request_terms_are_asserted(analyzer):
    result = analyzer.analyze("No zebra syndrome.", [("zebra syndrome", "PROBLEM")])
    assert result.entities[0].assertion.certainty.value == "negated"


def test_analyzer_empty_text_gives_empty_result(analyzer):
    result = analyzer.analyze("")
    assert (result.text_length, result.sections, result.sentences, result.entities) == (0, [], [], [])
    assert analyzer.analyze("   \n\n ").entities == []


def test_analyzer_100k_characters_keep_exact_offsets(analyzer):
    block = "Denies chest pain. H/o HTN on lisinopril 10 mg daily. Possible pneumonia.\n"
    text = (block * (100_000 // len(block) + 1))[:100_000]
    result = analyzer.analyze(text)
    assert result.text_length == 100_000
    assert len(result.entities) > 3000
    for entity in result.entities:
        assert text[entity.begin : entity.end] == entity.text
    last = [e for e in result.entities if e.text == "pneumonia"][-1]
    assert last.assertion.certainty.value == "possible"


@pytest.mark.parametrize(
    ("text", "code"),
    [("x" * 100_001, "E104"), ("bad\x00byte", "E106"), (b"bytes", "E101"), (None, "E101"), (42, "E101")],
)
def test_analyzer_rejects_bad_text(analyzer, text, code):
    with pytest.raises(ServiceError) as info:
        analyzer.analyze(text)
    assert info.value.code == code


def test_analyzer_term_limit(analyzer):
    terms = [(f"term{i}", "PROBLEM") for i in range(analyzer.settings.max_terms + 1)]
    with pytest.raises(ServiceError) as info:
        analyzer.analyze("text", terms)
    assert info.value.code == "E107"


def test_analyzer_analyze_many_streams_in_order(analyzer):
    texts = ["No fever.", ("Zebra rash.", [("zebra rash", "PROBLEM")]), ""]
    results = list(analyzer.analyze_many(texts))
    assert [r.text_length for r in results] == [9, 11, 0]
    assert results[1].entities[0].text == "Zebra rash"


def test_analyzer_is_shared_per_process():
    import nlp_service

    assert nlp_service.load() is nlp_service.load()


@pytest.mark.parametrize(
    ("text", "entity", "certainty", "subject"),
    [
        ("FHx: No family\nhistory of epilepsy.", "epilepsy", "negated", "family"),
        ("Patient denies\n    chest  pain today.", "chest  pain", "negated", "patient"),
        ("Pt with   DM2,\tHTN.\r\nNo\tfever.", "fever", "negated", "patient"),
    ],
)
def test_analyzer_whitespace_runs_and_wrapped_lines(analyzer, text, entity, certainty, subject):
    result = analyzer.analyze(text)
    hit = next(e for e in result.entities if e.text == entity)
    assert text[hit.begin : hit.end] == entity
    assert (hit.assertion.certainty.value, hit.assertion.subject.value) == (certainty, subject)
    for cue in hit.cues:
        assert text[cue.begin : cue.end] == cue.text


@pytest.mark.parametrize(
    "terms",
    [[("x", "NOT_A_CATEGORY")], [("only-one",)], ["just a string"], [{"text": "", "category": "PROBLEM"}]],
)
def test_analyzer_bad_terms_are_service_errors(analyzer, terms):
    with pytest.raises(ServiceError) as info:
        analyzer.analyze("text", terms)
    assert info.value.code == "E101" and info.value.errors[0]["field"] == "terms.0"


def test_analyzer_long_unpunctuated_note_keeps_local_scope(analyzer):
    # no full stops at all: scopes are cut into clauses, so a cue cannot reach 20,000 tokens
    text = ("no fever cough rash " * 5000)[:100_000]
    result = analyzer.analyze(text)
    assert len(result.entities) > 10_000
    assert all(e.assertion.certainty.value == "negated" for e in result.entities if e.text == "fever")


@pytest.mark.parametrize(
    ("text", "entity", "attributes"),
    [
        ("Give IV vancomycin 1 g q12h and IV cefepime 2 g q8h", "cefepime", [("ROUTE", "IV"), ("STRENGTH", "2 g"), ("FREQUENCY", "q8h")]),
        ("Continue prednisone 40 mg daily and nebulized ipratropium q6h", "prednisone", [("STRENGTH", "40 mg"), ("FREQUENCY", "daily")]),
        ("Albuterol 2.5 mg/3 mL neb q4h", "Albuterol", [("STRENGTH", "2.5 mg/3 mL"), ("FORM", "neb"), ("FREQUENCY", "q4h")]),
    ],
)
def test_analyzer_attributes_before_and_after_the_drug(analyzer, text, entity, attributes):
    med = next(e for e in analyzer.analyze(text).entities if e.text == entity)
    assert [(a.type.value, a.text) for a in med.attributes] == attributes


@pytest.mark.parametrize(
    ("text", "absent"),
    [("Abdomen soft, non-tender, non-distended.", "tender"), ("Neuro: MS intact.", "MS"),
     ("MS: alert and oriented.", "MS"), ("On PE, abdomen is soft.", "PE")],
)
def test_analyzer_normal_exam_words_and_labels_are_not_findings(analyzer, text, absent):
    assert absent not in [e.text for e in analyzer.analyze(text).entities]

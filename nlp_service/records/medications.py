"""Medication attributes (strength, dose, route, frequency, duration, form) as relations.

Patterns are data (``resources/rules/medication_attributes.json``). For each MEDICATION we search
the text after it, up to the next medication, the end of its sentence, or ``max_window``
characters, and attach every non-overlapping match to that medication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc

from ..resources import load_rules
from ..schemas import Attribute, AttributeType
from .text import char_span, source_text

_GAP = re.compile(r"[ \t]*-?[ \t]*")


@dataclass(frozen=True, slots=True)
class _Pattern:
    type: AttributeType
    regex: re.Pattern[str]
    group: str | int
    adjacent: bool


class MedicationAttributes:
    """Finds the attributes of each MEDICATION entity and stores them on ``span._.nlps_med_attributes``."""

    def __init__(self, rules: dict | None = None) -> None:
        rules = rules or load_rules("medication_attributes.json")
        self.max_window = int(rules["max_window"])
        self.patterns = [
            _Pattern(
                AttributeType(p["type"]),
                re.compile(p["regex"], re.IGNORECASE if p["ignore_case"] else 0),
                p["group"],
                bool(p.get("adjacent", False)),
            )
            for p in rules["patterns"]
        ]

    def extract(self, text: str, begin: int, end: int) -> list[Attribute]:
        """Attributes in ``text[begin:end]``, the window after one medication."""
        found: list[tuple[int, int, AttributeType]] = []
        taken: list[tuple[int, int]] = []
        for pattern in self.patterns:
            if pattern.adjacent:
                gap = _GAP.match(text, begin, end)
                m = pattern.regex.match(text, gap.end(), end) if gap else None
                matches = [m] if m else []
            else:
                matches = pattern.regex.finditer(text, begin, end)
            for m in matches:
                b, e = m.span(pattern.group)
                if b < 0 or b == e or any(b < te and tb < e for tb, te in taken):
                    continue
                taken.append((b, e))
                found.append((b, e, pattern.type))
        found.sort()
        return [Attribute(type=t, text=text[b:e], begin=b, end=e) for b, e, t in found]

    def __call__(self, doc: Doc) -> Doc:
        ents = doc.ents
        text = source_text(doc)
        for i, ent in enumerate(ents):
            if ent.label_ != "MEDICATION":
                continue
            end = char_span(doc, ent.start, ent.end)[1]
            sentence = ent.sent
            limit = min(char_span(doc, sentence.start, sentence.end)[1], end + self.max_window)
            # stop at the next medication
            for nxt in ents[i + 1 :]:
                nxt_begin = char_span(doc, nxt.start, nxt.end)[0]
                if nxt_begin >= limit:
                    break
                if nxt.label_ == "MEDICATION":
                    limit = nxt_begin
                    break
            ent._.nlps_med_attributes = tuple(self.extract(text, end, limit))
        return doc

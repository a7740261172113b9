"""Medication attributes (strength, dose, route, frequency, duration, form) as relations.

Patterns are data (``resources/rules/medication_attributes.json``). For each MEDICATION we search
the text after it, up to the next medication, the end of its sentence, or ``max_window``
characters, and attach every non-overlapping match to that medication. A route or form written
right before a drug ("IV vancomycin", "nebulized albuterol") belongs to that drug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc

from ..resources import load_rules
from ..schemas import Attribute, AttributeType
from .text import char_span, sentence_index, source_text

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

    def leading(self, text: str, begin: int, med_begin: int) -> list[Attribute]:
        """A route or form written right before the drug ("IV vancomycin", "nebulized albuterol")."""
        best: tuple[int, int, AttributeType] | None = None
        for pattern in self.patterns:
            if pattern.type not in (AttributeType.ROUTE, AttributeType.FORM):
                continue
            for m in pattern.regex.finditer(text, begin, med_begin):
                b, e = m.span(pattern.group)
                if b < e and not text[e:med_begin].strip() and (best is None or b < best[0]):
                    best = (b, e, pattern.type)
        if best is None:
            return []
        b, e, kind = best
        return [Attribute(type=kind, text=text[b:e], begin=b, end=e)]

    def __call__(self, doc: Doc) -> Doc:
        ents = [e for e in doc.ents if e.label_ == "MEDICATION"]
        if not ents:
            return doc
        text = source_text(doc)
        sentence_starts, sentence_ends = sentence_index(doc)
        spans = [char_span(doc, e.start, e.end) for e in ents]
        all_spans = [char_span(doc, e.start, e.end) for e in doc.ents]
        # what stands right before each drug belongs to it, not to the drug before
        leading = []
        for ent, (med_begin, _) in zip(ents, spans, strict=True):
            floor = char_span(doc, int(sentence_starts[ent.start]), ent.start + 1)[0]
            floor = max([floor, *(e for _, e in all_spans if e <= med_begin)], default=floor)
            leading.append(self.leading(text, max(floor, med_begin - 24), med_begin))
        for i, ent in enumerate(ents):
            med_end = spans[i][1]
            limit = min(char_span(doc, ent.start, int(sentence_ends[ent.start]))[1], med_end + self.max_window)
            if i + 1 < len(ents):
                next_begin = leading[i + 1][0].begin if leading[i + 1] else spans[i + 1][0]
                limit = min(limit, next_begin) if next_begin >= med_end else limit
            ent._.nlps_med_attributes = tuple(leading[i] + self.extract(text, med_end, max(limit, med_end)))
        return doc

"""ICD-10-CM linking from the lexicon: each PROBLEM concept carries its codes.

Scores: 1.0 when the text matched the concept's preferred name, 0.9 for a synonym or
abbreviation, 0.8 for a composed finding ("knee pain" from "knee" + "pain"). Request terms
carry no codes. The code set is the one simple-icd-10-cm ships (recorded in the lexicon manifest).
"""

from __future__ import annotations

from spacy.tokens import Doc

from ..schemas import Code


class LexiconCodeLinker:
    """Sets ``span._.nlps_codes`` for PROBLEM entities from their concept's ICD-10-CM codes."""

    def __init__(self, max_codes: int = 5) -> None:
        self.max_codes = max_codes

    def __call__(self, doc: Doc) -> Doc:
        for ent in doc.ents:
            if ent.label_ != "PROBLEM":
                continue
            concept = ent._.nlps_concept or {}
            codes = concept.get("codes") or []
            if not codes:
                continue
            if concept.get("composed_of"):
                score = 0.8
            elif ent.text.lower() == (concept.get("preferred") or "").lower():
                score = 1.0
            else:
                score = 0.9
            ent._.nlps_codes = tuple(
                Code(
                    code=c["code"],
                    display=c["display"],
                    score=score if rank == 0 else round(score * 0.9, 3),
                    matched=concept.get("preferred") or ent.text,
                    method="lexicon",
                    billable=c.get("billable", True),
                )
                for rank, c in enumerate(codes[: self.max_codes])
            )
        return doc

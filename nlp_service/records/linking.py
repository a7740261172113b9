"""ICD-10-CM linking from the lexicon: each PROBLEM concept carries its codes.

Scores: 1.0 when the text matched the concept's preferred name, 0.9 for a synonym or
abbreviation, 0.8 for a composed finding ("knee pain" from "knee" + "pain"). Request terms
carry no codes. The code set is the one simple-icd-10-cm ships (recorded in the lexicon manifest).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from spacy.tokens import Doc

from ..schemas import Code

_SIDE_BEFORE = re.compile(r"(?:^|[\s(,;:])(left|right|bilateral|bilat|b/l|lt|rt|l|r)\.?\s+$", re.I)


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


class IcdCodeLinker:
    """Sets ``span._.nlps_codes`` for PROBLEM entities: the top-k ICD-10-CM codes from the whole code
    set (:class:`nlp_service.linking.IcdLinker`), one batch per note. Negated problems keep their
    codes (FHIR marks them refuted); historical ones also get "personal history of" codes, family
    ones "family history of" codes."""

    def __init__(self, top_k: int = 5, cache_dir: str = "var/models", backend: str = "auto", neighbours: int = 40,
                 mode: str = "combined", exact_neighbours: int = 10) -> None:
        self.top_k, self.mode = top_k, mode
        self.cache_dir, self.backend, self.neighbours = cache_dir, backend, neighbours
        self.exact_neighbours = exact_neighbours
        self._linker = None

    @property
    def linker(self):  # noqa: ANN201 - built on first use, shared by every analyser in the process
        if self._linker is None:
            from ..linking import shared_linker

            self._linker = shared_linker(self.cache_dir, self.backend, self.neighbours, self.exact_neighbours)
        return self._linker

    def __call__(self, doc: Doc) -> Doc:
        return self._link([doc])[0]

    def pipe(self, stream: Iterable[Doc], batch_size: int = 32) -> Iterator[Doc]:
        """Link the problems of ``batch_size`` notes at once (one encoder batch: much cheaper per
        mention than one small batch per note)."""
        batch: list[Doc] = []
        for doc in stream:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._link(batch)
                batch = []
        if batch:
            yield from self._link(batch)

    def _link(self, docs: list[Doc]) -> list[Doc]:
        from ..linking import Query, history_cue
        from ..schemas import Subject, Temporality
        from .text import char_span, source_text

        problems, queries = [], []
        for doc in docs:
            text = source_text(doc)
            for ent in doc.ents:
                if ent.label_ != "PROBLEM" or not ent.text.strip():
                    continue
                begin, end = char_span(doc, ent.start, ent.end)
                assertion = ent._.nlps_assertion
                historical = assertion is not None and assertion.temporality == Temporality.HISTORICAL
                family = assertion is not None and assertion.subject == Subject.FAMILY
                side = _SIDE_BEFORE.search(text[max(0, begin - 14):begin])  # "L knee OA": the side is outside the entity
                mention = f"{side.group(1)} {text[begin:end]}" if side else text[begin:end]
                problems.append(ent)
                queries.append(Query(mention, history=historical or history_cue(text, begin, end), family=family))
        if not problems:
            return docs
        linker = self.linker
        for ent, candidates in zip(problems, linker.link_many(queries, k=self.top_k, mode=self.mode), strict=True):
            ent._.nlps_codes = tuple(
                Code(code=c.code, display=c.display, score=c.score, matched=c.matched, method=c.method,
                     billable=c.billable, version=linker.version)
                for c in candidates
            )
        return docs

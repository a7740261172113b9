"""Concept matching: shipped lexicons plus the caller's own terms, resolved to non-overlapping entities.

Lexicon terms are matched with spaCy's PhraseMatcher on NORM (case-insensitive, plural-folded)
and, for ambiguous abbreviations, on ORTH (exact case). Request terms are matched on the raw text
so that their spans are exactly what the caller wrote. Overlaps resolve in favour of request
terms, then longer spans. The result is ``doc.ents`` with one label per category and the concept
details on ``span._.nlps_concept``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from ..resources import load_lexicon, load_rules
from ..schemas import Term
from .text import sentence_index, source_text, token_range

REQUEST_PRIORITY = 2
LEXICON_PRIORITY = 1
IGNORE = {"id": None, "preferred": None, "category": "IGNORE", "type": None, "codes": [], "source": "lexicon"}


@dataclass(frozen=True, slots=True)
class Candidate:
    start: int  # token index
    end: int
    priority: int
    concept: dict


@lru_cache(maxsize=1024)
def _term_regex(text: str) -> re.Pattern[str]:
    """Case-insensitive; any whitespace or hyphen between words; an optional plural ending.

    >>> bool(_term_regex("pleural effusion").search("Bilateral pleural-effusions."))
    True
    """
    words = [re.escape(w) for w in re.split(r"[\s\-]+", text.strip()) if w]
    body = r"(?:[\s\-]+|(?<=\w)(?=\w))?".join(words) if len(words) > 1 else words[0]
    plural = r"(?:e?s)?" if text[-1:].isalpha() else ""
    return re.compile(r"(?<!\w)" + body + plural + r"(?!\w)", re.IGNORECASE)


def _upper_ratio(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(c.isupper() for c in letters) / len(letters)


class ConceptMatcher:
    """Finds lexicon concepts and request terms in a Doc and sets ``doc.ents``."""

    def __init__(self, nlp: Language, lexicons: Sequence[str]) -> None:
        self.concepts: list[dict] = []
        self._by_key: dict[int, int] = {}
        self._cs_ambiguous: set[int] = set()  # case-sensitive keys that are also English words
        self._cs_keys: set[int] = set()  # every case-sensitive key
        self._norm = PhraseMatcher(nlp.vocab, attr="NORM")
        self._orth = PhraseMatcher(nlp.vocab, attr="ORTH")
        self._upper_ambiguous_terms = frozenset(load_rules("concept_filters.json")["ambiguous_in_upper_case"])
        composition = load_rules("concept_composition.json")
        self.heads: dict[str, str] = dict(composition["heads"])
        for name in lexicons:
            for concept in load_lexicon(name):
                self._add_concept(nlp, concept)
        filters = load_rules("concept_filters.json")
        self._upper_ambiguous = frozenset(filters["ambiguous_in_upper_case"])
        self._ignore = PhraseMatcher(nlp.vocab, attr="NORM")
        self._ignore.add("ignore", list(nlp.tokenizer.pipe(filters["ignore_phrases"])))
        # context patterns: "T 38.3", "CR 0.9" (data: concept_patterns.json)
        self._patterns = Matcher(nlp.vocab)
        self._pattern_info: dict[int, tuple[dict, tuple[int, int]]] = {}
        for item in load_rules("concept_patterns.json")["patterns"]:
            key = nlp.vocab.strings.add(f"pattern:{item['id']}")
            concept = {
                "id": item["id"], "preferred": item["preferred"], "category": item["category"],
                "type": item["type"], "codes": item.get("codes", []), "source": "lexicon",
            }
            keep = tuple(item["keep"])
            self._pattern_info[key] = (concept, keep)
            pattern = item["pattern"]
            if item.get("guard"):
                # two forms: after a token that is not a number, or at a sentence start
                guard_key = nlp.vocab.strings.add(f"pattern:{item['id']}:guard")
                self._pattern_info[guard_key] = (concept, (keep[0] + 1, keep[1] + 1))
                self._patterns.add(f"pattern:{item['id']}:guard", [[{"LIKE_NUM": False}, *pattern]])
                pattern = [{**pattern[0], "IS_SENT_START": True}, *pattern[1:]]
            self._patterns.add(f"pattern:{item['id']}", [pattern])

    def _add_concept(self, nlp: Language, concept: dict) -> None:
        index = len(self.concepts)
        self.concepts.append(concept)
        key = f"c{index}"
        key_id = nlp.vocab.strings.add(key)
        self._by_key[key_id] = index
        terms = concept.get("terms", [])
        if terms:
            self._norm.add(key, list(nlp.tokenizer.pipe(terms)))
        cs = concept.get("case_sensitive", [])
        if cs:
            cs_key = f"{key}:cs"
            cs_id = nlp.vocab.strings.add(cs_key)
            self._by_key[cs_id] = index
            self._cs_keys.add(cs_id)
            if any(t.lower() in STOP_WORDS or t.upper() in self._upper_ambiguous_terms for t in cs):
                self._cs_ambiguous.add(cs_id)
            self._orth.add(cs_key, list(nlp.tokenizer.pipe(cs)))

    # -- candidates -------------------------------------------------------------------------
    def _lexicon_candidates(self, doc: Doc) -> list[Candidate]:
        out = []
        upper: dict[int, float] = {}  # sentence start -> share of capitals, computed on demand
        for matcher in (self._norm, self._orth):
            for key_id, start, end in matcher(doc):
                if key_id in self._cs_ambiguous:
                    starts, ends = sentence_index(doc)
                    s0 = int(starts[start])
                    if s0 not in upper:
                        upper[s0] = _upper_ratio(doc[s0 : int(ends[start])].text)
                    if upper[s0] > 0.8:
                        continue  # "ALL", "AS" in an upper-case line are words, not diagnoses
                if key_id in self._cs_keys and end < len(doc) and doc[end].text == ":":
                    continue  # "MS:", "PE:" label a line; they are not "multiple sclerosis"
                concept = self.concepts[self._by_key[key_id]]
                out.append(Candidate(start, end, LEXICON_PRIORITY, concept))
        for key_id, start, _end in self._patterns(doc):
            concept, (keep_start, keep_end) = self._pattern_info[key_id]
            out.append(Candidate(start + keep_start, start + keep_end, LEXICON_PRIORITY, concept))
        for _, start, end in self._ignore(doc):
            out.append(Candidate(start, end, LEXICON_PRIORITY, IGNORE))
        return out

    def _request_candidates(self, doc: Doc, terms: Iterable[Term]) -> list[Candidate]:
        out = []
        for term in terms:
            concept = {
                "id": None,
                "preferred": term.text,
                "category": str(term.category),
                "type": term.type,
                "codes": [],
                "source": "request",
            }
            for m in _term_regex(term.text).finditer(source_text(doc)):
                start, end = token_range(doc, m.start(), m.end())
                if end > start:
                    out.append(Candidate(start, end, REQUEST_PRIORITY, concept))
        return out

    def _compose(self, doc: Doc, cands: list[Candidate]) -> list[Candidate]:
        """Join 'knee' + 'pain' into one PROBLEM 'knee pain' (data: concept_composition.json)."""
        anatomy = {c.end: c for c in cands if c.concept["category"] == "ANATOMY"}
        problems = {(c.start, c.end) for c in cands if c.concept["category"] == "PROBLEM"}
        out = []
        for c in cands:
            if c.concept["category"] != "PROBLEM" or c.start not in anatomy:
                continue
            if (anatomy[c.start].start, c.end) in problems:
                continue  # the lexicon names the whole finding already ("chest pain")
            head = " ".join(t.norm_ for t in doc[c.start : c.end])
            if head not in self.heads:
                continue
            body = anatomy[c.start]
            text = doc[body.start : c.end].text
            concept = {
                "id": None,
                "preferred": f"{body.concept['preferred']} {c.concept['preferred']}",
                "category": "PROBLEM",
                "type": self.heads[head],
                "codes": c.concept.get("codes", []),
                "source": "lexicon",
                "composed_of": [body.concept.get("id"), c.concept.get("id")],
                "matched": text,
            }
            out.append(Candidate(body.start, c.end, max(body.priority, c.priority), concept))
        return out

    # -- resolution ---------------------------------------------------------------------------
    @staticmethod
    def _select(cands: list[Candidate], blocked: set[int]) -> list[Candidate]:
        chosen: list[Candidate] = []
        taken = set(blocked)
        for c in sorted(cands, key=lambda c: (-c.priority, c.start - c.end, c.start)):
            tokens = range(c.start, c.end)
            if any(i in taken for i in tokens):
                continue
            taken.update(tokens)
            chosen.append(c)
        chosen.sort(key=lambda c: c.start)
        return chosen

    def __call__(self, doc: Doc) -> Doc:
        cands = self._lexicon_candidates(doc)
        cands += self._compose(doc, cands)
        if doc._.nlps_terms:
            cands += self._request_candidates(doc, doc._.nlps_terms)
        # header titles ("PE:", "HISTORY") are never entities
        blocked: set[int] = set()
        for section in doc._.nlps_sections:
            blocked.update(range(*token_range(doc, section.title_begin, section.title_end)))
        lexicon_at: dict[tuple[int, int, str], dict] = {}
        for c in cands:
            if c.priority == LEXICON_PRIORITY and c.concept is not IGNORE:
                lexicon_at.setdefault((c.start, c.end, c.concept["category"]), c.concept)
        ents = []
        for c in self._select(cands, blocked):
            if c.concept is IGNORE:
                continue
            concept = c.concept
            known = lexicon_at.get((c.start, c.end, concept["category"])) if c.priority == REQUEST_PRIORITY else None
            if known is not None:
                # a request term the lexicon also knows: keep it as the caller's, with our type and codes
                concept = {**known, "source": "request", "type": concept["type"] or known["type"]}
            span = Span(doc, c.start, c.end, label=concept["category"])
            span._.nlps_concept = concept
            ents.append(span)
        doc.ents = ents
        return doc

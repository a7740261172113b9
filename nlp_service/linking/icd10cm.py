"""ICD-10-CM linking over the whole code set, the way InferICD10CM does it, but offline.

A mention is first rewritten into query variants: the mention itself, and the mention with its
abbreviations expanded (``resources/rules/icd_linking.json`` and every abbreviation of the problem
lexicon), region shorthand spelled out ("LLE" -> "left lower limb") and misspelt words corrected
against the code set's own vocabulary (rapidfuzz, Damerau-Levenshtein). Candidates then come in two
stages:

1. **Lexical** ("exact"): each variant, normalised (case, accents, punctuation, "NOS"/"unspecified",
   side words spelled out), looked up among every code's description and inclusion terms in
   simple-icd-10-cm and every term of the problem lexicon; then with word order ignored; then the
   strings that contain every word of the variant.
2. **Embeddings**: nearest neighbours of the mention (and of its rewritten form) among the same
   strings, embedded once with the shared encoder (``nlp_service.embeddings``) and searched with the
   vector index.

ICD-10-CM's own wording outranks a lexicon synonym. Every candidate is then made specific and
billable: a code is moved, inside its category, to the code whose description holds every word of the
mention ("lumbar spinal stenosis" -> "Spinal stenosis, lumbar region without neurogenic
claudication"); a category goes to its "unspecified" leaf; a code that needs a 7th character gets the
initial encounter "A"; and a side named in the mention ("R knee", "LLE", "OU") moves the code to the
matching lateral sibling, keeping its 7th character. A mention flagged historical (by the assertion
detector, or by cues around it such as "s/p" or "3 yrs ago") also gets the code set's "personal
history of" / "old" codes for its top candidates, ranked first. The code-set version comes from the
package and is reported with every code.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Errors
from ..resources import load_rules

log = logging.getLogger("nlp_service.linking")

INDEX_VERSION = 1
MODES = ("combined", "exact", "embedding")
_DROP = frozenset({"nos", "unspecified", "unsp", "of", "the", "an", "with", "w", "and", "in", "due", "to", "site",
                   "type", "her", "his", "my", "their", "on", "at", "for", "by", "or", "is", "as"})
_DEFAULT_WORDS = ("unspecified", "without", "uncomplicated", "initial", "primary", "unilateral")
_SIDE_SET = frozenset({"right", "left", "bilateral"})
_WORD = re.compile(r"[a-z0-9]+")

# score of each stage, by where the matched string came from (ICD-10-CM wording first)
_STAGE_SCORES = {
    "exact": {"description": 1.0, "inclusion term": 1.0, "lexicon": 0.955},
    "bag": {"description": 0.96, "inclusion term": 0.96, "lexicon": 0.95},
    "contains": {"description": 0.92, "inclusion term": 0.92, "lexicon": 0.91},
}
_VARIANT_FACTOR = 0.99  # a rewritten mention is a little less certain than the mention as written
_EMBEDDING_FACTOR = 0.9  # an embedding neighbour never outranks a lexical match of similar quality


@cache
def _rules() -> dict[str, Any]:
    return load_rules("icd_linking.json")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces, runs of spaces collapsed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower()
    text = text.replace("b/l", " bilateral ").replace("w/o", " without ").replace("w/", " with ")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def _stem(word: str) -> str:
    """Plural to singular, roughly, for matching only ("cataracts" == "cataract")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def normalise(text: str) -> str:
    """The exact-match key: folded, side abbreviations spelled out, filler words dropped."""
    sides = _rules()["side_words"]
    words = fold(text).split()
    out = []
    for i, w in enumerate(words):
        if w in sides and (len(w) > 1 or len(words) > 1):
            w = sides[w]
        if w in _DROP or (w == "a" and i < len(words) - 1):
            continue
        out.append(_stem(w))
    return " ".join(out)


def bag(text: str) -> str:
    """Order-free key ("fracture of left femur" == "left femur fracture")."""
    return " ".join(sorted(set(normalise(text).split())))


def key(text: str) -> str:
    """The lookup key: normalised with side words left out (the side is applied after matching)."""
    return " ".join(w for w in normalise(text).split() if w not in _SIDE_SET)


def bag_key(text: str) -> str:
    return " ".join(sorted(set(key(text).split())))


def content_words(text: str) -> frozenset[str]:
    """Normalised words, sides and default words ("unspecified", "without") left out."""
    return frozenset(w for w in normalise(text).split() if w not in _SIDE_SET and w not in _DEFAULT_WORDS)


def side_of(text: str) -> str | None:
    """The side a mention names: right, left or bilateral (None when it names none)."""
    sides = _rules()["side_words"]
    words = fold(text).split()
    found = {sides[w] for w in words if w in sides and (len(w) > 1 or len(words) > 1)}
    for region, expansion in _rules()["region_words"].items():
        if region in words and " " not in region:
            found |= {s for s in _SIDE_SET if s in expansion.split()}
    if "bilateral" in found or {"right", "left"} <= found:
        return "bilateral"
    return found.pop() if len(found) == 1 else None


_HISTORY_BEFORE: re.Pattern[str] | None = None


def history_cue(context: str, begin: int, end: int) -> bool:
    """True when the mention, or the words just around it, say it is past ("s/p", "h/o MI",
    "had a heart attack 3 yrs ago", "PE last year")."""
    global _HISTORY_BEFORE
    if _HISTORY_BEFORE is None:
        cues = sorted(_rules()["history_cues"], key=len, reverse=True)
        _HISTORY_BEFORE = re.compile(r"(?:^|\W)(?:" + "|".join(re.escape(c) for c in cues) + r")(?:\W|$)", re.I)
    before = context[max(0, begin - 30):begin]
    before = re.split(r"[.;\n]", before)[-1]
    after = re.split(r"[.;\n]", context[end:end + 30])[0]
    mention = context[begin:end]
    if _HISTORY_BEFORE.search(before) or _HISTORY_BEFORE.match(mention):
        return True
    return bool(re.search(r"\b(?:\d+|a few|several)\s*(?:years?|yrs?|months?|mos?)\s+ago\b|\blast year\b|\bin (?:19|20)\d\d\b|^\s*(?:19|20)\d\d\b",
                          after, re.I))


@dataclass(frozen=True)
class Candidate:
    code: str
    display: str
    score: float
    matched: str
    method: str  # "exact" (a lexical stage) or "embedding"
    billable: bool


@dataclass(frozen=True)
class Query:
    """A mention to link, with what record analysis knows about it."""

    text: str
    history: bool = False
    family: bool = False


class CodeSet:
    """simple-icd-10-cm, with billable targets, specific codes and lateral siblings."""

    def __init__(self) -> None:
        import simple_icd_10_cm as cm

        self.cm = cm
        self.version = _code_set_version(cm)

    def valid(self, code: str) -> bool:
        # "B20" is both a block and a category; a code is anything that is a category or below
        cm = self.cm
        return cm.is_valid_item(code) and (cm.is_category_or_subcategory(code) or cm.is_extended_subcategory(code))

    def display(self, code: str) -> str:
        return self.cm.get_description(code)

    def billable(self, code: str) -> bool:
        return self.cm.is_leaf(code)

    @cache  # noqa: B019 - one CodeSet per process; the cache is the point
    def words(self, code: str) -> frozenset[str]:
        return content_words(self.cm.get_description(code))

    @cache  # noqa: B019
    def billable_target(self, code: str) -> str:
        """The billable code to report for ``code``: itself when it is a leaf; else its "unspecified"
        leaf, its first leaf, or (for codes that need a 7th character) the initial encounter."""
        cm = self.cm
        if cm.is_leaf(code):
            return code
        children = cm.get_children(code)
        if not children:
            return code
        extended = [c for c in children if cm.is_extended_subcategory(c)]
        if extended:  # 7th character: prefer the initial encounter ("A")
            initial = [c for c in extended if c.endswith("A")]
            return (initial or extended)[0]
        # the child that ICD-10-CM marks as the default with a "... NOS" inclusion term, else the most
        # "unspecified"/"without" one
        own = self.words(code)

        def rank(c: str) -> tuple[int, int]:
            # "Pulmonary embolism NOS" under I26.9 marks I26.99 as the default; "Subsegmental pulmonary
            # embolism NOS" (I26.93) names something more specific than its parent, so it does not
            nos = any(term.rstrip().endswith("NOS") and content_words(term) <= own for term in cm.get_inclusion_term(c))
            return (0 if nos else 1, self._default_rank(cm.get_description(c)))

        return self.billable_target(min(children, key=rank))

    def _base(self, code: str) -> tuple[str, str]:
        """(code without its 7th character, the 7th character or "")."""
        if self.cm.is_extended_subcategory(code):
            return self.cm.get_parent(code), code[-1]
        return code, ""

    def _with_seventh(self, base: str, seventh: str) -> str:
        if seventh:
            for child in self.cm.get_children(base):
                if child.endswith(seventh) and self.cm.is_extended_subcategory(child):
                    return child
        return self.billable_target(base)

    @cache  # noqa: B019
    def _bases(self, category: str) -> tuple[str, ...]:
        """The codes under a category that take no more subdivision but a 7th character."""
        cm = self.cm
        out = []
        for c in (category, *cm.get_descendants(category)):
            if cm.is_extended_subcategory(c):
                continue
            children = cm.get_children(c)
            if not children or all(cm.is_extended_subcategory(x) for x in children):
                out.append(c)
        return tuple(out)

    @cache  # noqa: B019
    def _category(self, code: str) -> str:
        cm = self.cm
        while (parent := cm.get_parent(code)) and not cm.is_chapter_or_block(parent):
            code = parent
        return code

    @staticmethod
    def _default_rank(description: str) -> int:
        """Lower for the code ICD-10-CM assigns when nothing more is said: "unspecified", "without",
        "uncomplicated", no side and no "with"."""
        words = _WORD.findall(description.lower())
        return sum(w == "with" or w in _SIDE_SET for w in words) - sum(w in _DEFAULT_WORDS for w in words)

    @cache  # noqa: B019
    def _sided(self, category: str, side: str) -> tuple[str, ...]:
        pattern = re.compile(rf"\b{side}\b")
        return tuple(c for c in self._bases(category) if pattern.search(self.cm.get_description(c).lower()))

    @cache  # noqa: B019
    def specific(self, code: str, words: frozenset[str]) -> str:
        """``code``, or the code in its category whose description holds every word of the mention
        with the fewest extra words (ICD-10-CM's defaults, "unspecified" and "without", on a tie)."""
        if not words or words <= self.words(code):
            return code
        base, seventh = self._base(code)
        pool = [c for c in self._bases(self._category(base)) if words <= self.words(c)]
        if not pool:
            return code
        best = min(pool, key=lambda c: (len(self.words(c) - words), self._default_rank(self.display(c)), len(c), c))
        return self._with_seventh(best, seventh)

    @cache  # noqa: B019
    def lateral(self, code: str, side: str, words: frozenset[str] = frozenset()) -> str:
        """The code for ``side`` in the same category, as close to ``code`` as the code set allows
        (same condition and site, same 7th character), else ``code``."""
        cm = self.cm
        if re.search(rf"\b{side}\b", cm.get_description(code).lower()):
            return code
        base, seventh = self._base(code)
        category = self._category(base)
        own = self.words(base) - {"part", "site", "limb"}
        if not own:
            return code
        pool = list(self._sided(category, side))
        if not pool and side in ("right", "left") and not (self._sided(category, "right") or self._sided(category, "left")):
            pool = list(self._sided(category, "unilateral"))
        pool = [c for c in pool if len(own & self.words(c)) >= max(1, len(own) / 2)]
        if not pool:
            return code

        def closeness(c: str) -> tuple[int, float, int, int]:
            theirs = self.words(c)
            return (len(words & theirs), len(own & theirs) / len(own | theirs), -self._default_rank(self.display(c)),
                    -len(c))

        best = max(pool, key=closeness)
        return self._with_seventh(best, seventh)


def _code_set_version(cm: Any) -> str:
    """"ICD-10-CM 2026 (simple-icd-10-cm 1.5.0)" from the package's data file and version."""
    from importlib.metadata import version

    data = " ".join(str(p) for p in Path(cm.__file__).parent.rglob("*.xml"))
    year = re.search(r"(20\d\d)", data)
    return f"ICD-10-CM {year.group(1) if year else '?'} (simple-icd-10-cm {version('simple-icd-10-cm')})"


def synonym_strings(codes: CodeSet) -> list[tuple[str, str, str]]:
    """(text, code, source) for every description and inclusion term in the code set (codes that need
    a 7th character are reached through their parent) and every term of the problem lexicon."""
    from ..resources import load_lexicon

    cm = codes.cm
    out: list[tuple[str, str, str]] = []
    for code in cm.get_all_codes(with_dots=True):
        if not cm.is_category_or_subcategory(code) or cm.is_extended_subcategory(code):
            continue
        out.append((cm.get_description(code), code, "description"))
        out.extend((term, code, "inclusion term") for term in cm.get_inclusion_term(code))
    for concept in load_lexicon("problems"):
        for c in concept.get("codes") or []:
            for term in (*concept["terms"], *concept.get("case_sensitive", [])):
                out.append((term, c["code"], "lexicon"))
            break  # a concept's first code is its primary one
    seen: set[tuple[str, str]] = set()
    unique = []
    for text, code, source in out:
        key = (text.lower(), code)
        if key not in seen and codes.valid(code):
            seen.add(key)
            unique.append((text, code, source))
    return unique


def _is_abbreviation(term: str) -> bool:
    letters = [c for c in term if c.isalpha()]
    return 2 <= len(term) <= 8 and len(letters) >= 2 and sum(c.isupper() for c in letters) >= max(2, len(letters) - 1)


class Rewriter:
    """Query variants of a mention: abbreviations expanded, regions spelled out, spelling corrected."""

    def __init__(self, strings: Sequence[tuple[str, str, str]]) -> None:
        from ..resources import load_lexicon

        rules = _rules()
        self.abbreviations: dict[str, str] = {}
        for concept in load_lexicon("problems"):
            preferred = concept.get("preferred") or concept["terms"][0]
            for term in (*concept["terms"], *concept.get("case_sensitive", [])):
                if _is_abbreviation(term) and not _is_abbreviation(preferred):
                    self.abbreviations.setdefault(term, preferred)
        self.abbreviations.update(rules["abbreviations"])  # curated ones win
        self.folded_abbreviations = {fold(k): v for k, v in self.abbreviations.items()}
        self.words = {**rules["word_expansions"], **{k: v for k, v in rules["region_words"].items() if " " not in k}}
        self.phrases = {k: v for k, v in rules["region_words"].items() if " " in k}
        counts: Counter[str] = Counter()
        for text, _code, _source in strings:
            counts.update(fold(text).split())
        self.vocabulary = counts
        self._choices = [w for w, n in counts.items() if len(w) >= 4 and w.isalpha()]

    def correct(self, word: str) -> str:
        """The code-set word closest to an unknown word ("pnuemonia" -> "pneumonia"), else the word."""
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        if len(word) < 5 or not word.isalpha() or word in self.vocabulary:
            return word
        limit = 1 if len(word) < 7 else 2
        matches = process.extract(word, self._choices, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=20)
        if not matches:
            return word
        best = min(matches, key=lambda m: (m[1], m[0][0] != word[0], -self.vocabulary[m[0]]))
        return best[0]

    def variants(self, mention: str) -> list[str]:
        stripped = re.sub(r"^\s*(?:s/p|status post|h/o|hx of|history of|prior|previous|remote)\s+", "", mention, flags=re.I)
        tokens = re.findall(r"[A-Za-z0-9][A-Za-z0-9'/\-]*[A-Za-z0-9]|[A-Za-z0-9]|[^\sA-Za-z0-9]", stripped)
        one_case = mention == mention.lower() or mention == mention.upper()
        out = []
        for token in tokens:
            expanded = self.abbreviations.get(token)
            if expanded is None and (one_case or token.isupper()):
                expanded = self.folded_abbreviations.get(fold(token))
            if expanded is None:
                low = token.lower()
                expanded = self.words.get(low)
                if expanded is None and low.isalpha() and low not in self.vocabulary and low not in self.folded_abbreviations:
                    expanded = self.correct(low)
            out.append(expanded if expanded is not None else token)
        words: list[str] = []
        for piece in out:  # "HIV disease" -> "human immunodeficiency virus disease", not "... disease disease"
            for w in piece.split():
                if not words or fold(w) != fold(words[-1]):
                    words.append(w)
        rewritten = " ".join(words)
        folded = fold(rewritten)
        for phrase, replacement in self.phrases.items():
            folded = re.sub(rf"\b{re.escape(phrase)}\b", replacement, folded)
        return [folded] if fold(mention) != folded else []


class IcdLinker:
    """Top-k ICD-10-CM codes for a problem mention. Build once per process (index on first use)."""

    def __init__(self, cache_dir: Path, encoder_backend: str = "auto", neighbours: int = 40,
                 exact_neighbours: int = 10) -> None:
        self.codes = CodeSet()
        # neighbours kept for a mention that already matched exactly (0: no embedding search for it)
        self.exact_neighbours = exact_neighbours
        self.cache_dir = Path(cache_dir)
        self.encoder_backend = encoder_backend
        self.neighbours = neighbours
        self._lock = threading.Lock()
        self._strings = synonym_strings(self.codes)
        self._exact: dict[str, list[int]] = {}
        self._bag: dict[str, list[int]] = {}
        self._postings: dict[str, list[int]] = {}
        for i, (text, _code, _src) in enumerate(self._strings):
            self._exact.setdefault(key(text), []).append(i)
            words = bag_key(text)
            self._bag.setdefault(words, []).append(i)
            for w in set(words.split()):
                self._postings.setdefault(w, []).append(i)
        self._sizes = [len(set(bag_key(t).split())) for t, _c, _s in self._strings]
        self.rewriter = Rewriter(self._strings)
        self._index = None
        self._encoder = None
        self._memo: dict[tuple, list[Candidate]] = {}

    @property
    def version(self) -> str:
        return self.codes.version

    # -- the embedding index over the synonym strings ------------------------------------------------
    def _ensure_index(self) -> None:
        if self._index is not None:
            return
        with self._lock:
            if self._index is not None:
                return
            from ..embeddings import get_encoder
            from ..search.vectors import VectorIndex

            encoder = get_encoder(self.encoder_backend, self.cache_dir)
            target = self.cache_dir / f"icd10cm-synonyms-v{INDEX_VERSION}"
            fingerprint = {"index_version": INDEX_VERSION, "strings": len(self._strings), "code_set": self.version,
                           "encoder": encoder.description}
            index = None
            if (target / "fingerprint.json").is_file():
                try:
                    saved = json.loads((target / "fingerprint.json").read_text(encoding="utf-8"))
                    if saved == json.loads(json.dumps(fingerprint)):
                        index = VectorIndex.load(target / "vectors")
                except Exception:  # noqa: BLE001 - a stale or damaged cache is rebuilt, never served
                    log.warning("rebuilding the ICD-10-CM synonym index", extra={"path": str(target)})
                    index = None
            if index is None:
                log.info("building the ICD-10-CM synonym index", extra={"strings": len(self._strings)})
                vectors = encoder.encode([t for t, _c, _s in self._strings])
                index = VectorIndex.create(target / "vectors", dimension=vectors.shape[1])
                index.add(np.arange(len(vectors), dtype=np.int64), vectors)
                index.save()
                (target / "fingerprint.json").write_text(json.dumps(fingerprint, indent=2), encoding="utf-8")
            self._encoder = encoder
            self._index = index

    def prepare(self) -> None:
        """Build or load the synonym index now (``nlp-service check`` and ``make run`` call this)."""
        self._ensure_index()

    # -- lexical stages --------------------------------------------------------------------------------
    def _lexical(self, text: str) -> list[tuple[int, float]]:
        """(string index, score) of the lexical matches of one query text: exact, else any order,
        else the strings that hold every word."""
        exact_key = key(text)
        if not exact_key:  # only filler or side words ("AS", "OD"): nothing to look up
            return []
        words_key = " ".join(sorted(set(exact_key.split())))  # bag_key(text), from the key already made
        hits = [(i, "exact") for i in self._exact.get(exact_key, [])]
        hits += [(i, "bag") for i in self._bag.get(words_key, [])]
        words = words_key.split()
        if not hits and len(words) >= 2 and all(w in self._postings for w in words):
            lists = sorted((self._postings[w] for w in words), key=len)
            common = set(lists[0]).intersection(*lists[1:])
            if common:
                fewest = min(self._sizes[i] for i in common)
                hits = [(i, "contains") for i in common if self._sizes[i] <= fewest + 1]
        out = []
        for i, stage in hits:
            extra = 0.0
            if stage == "contains":
                extra = 0.005 * (self._sizes[i] - len(words))
            out.append((i, _STAGE_SCORES[stage][self._strings[i][2]] - extra))
        return out

    # -- linking ---------------------------------------------------------------------------------------
    def link_many(self, mentions: Sequence[str | Query], k: int = 5, mode: str = "combined") -> list[list[Candidate]]:
        """Top-``k`` candidates for each mention (lexical matches first, then embedding neighbours)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        queries = [m if isinstance(m, Query) else Query(m) for m in mentions]
        keys = [(q, k, mode) for q in queries]
        results: list[list[Candidate] | None] = [self._memo.get(key) for key in keys]
        first: dict[tuple, int] = {}
        for i, r in enumerate(results):
            if r is None:
                first.setdefault(keys[i], i)  # a mention repeated in the batch is linked once
        todo = sorted(first.values())
        if todo:
            variants = {i: self.rewriter.variants(queries[i].text) for i in todo}
            neighbours: dict[int, list[tuple[float, int]]] = {i: [] for i in todo}
            confident: set[int] = set()
            if mode != "exact":
                self._ensure_index()
                texts, owners = [], []
                for i in todo:
                    if mode == "combined" and self._confident(queries[i].text, variants[i]):
                        confident.add(i)
                        if not self.exact_neighbours:
                            continue  # an exact match, and its list is filled from the code set
                    # the rewritten mention when there is one ("R hip OA" -> "right hip osteoarthritis"),
                    # else the mention as written
                    text = variants[i][0] if variants[i] and mode == "combined" else queries[i].text
                    texts.append(text)
                    owners.append(i)
                vectors = self._encoder.encode(texts)
                scores, ids = self._index.search(vectors, self.neighbours) if texts else ([], [])
                for row, owner in enumerate(owners):
                    neighbours[owner].extend((float(s), int(j)) for s, j in zip(scores[row], ids[row], strict=True) if j >= 0)
            for i in todo:
                # an exact match needs only a few neighbours to fill its list
                limit = self.exact_neighbours if mode == "combined" and i in confident else self.neighbours
                ranked = self._rank(queries[i], variants[i], neighbours[i], k, mode, limit)
                if len(self._memo) > 50_000:
                    self._memo.clear()
                self._memo[keys[i]] = ranked
                results[i] = ranked
        return [r if r is not None else self._memo.get(keys[i], []) for i, r in enumerate(results)]

    def _confident(self, mention: str, variants: list[str]) -> bool:
        """True when the mention (or its rewrite) matches ICD-10-CM or lexicon wording exactly."""
        return any(score >= 0.95 for text in (mention, *variants) for _i, score in self._lexical(text))

    def link(self, mention: str | Query, k: int = 5, mode: str = "combined") -> list[Candidate]:
        text = mention.text if isinstance(mention, Query) else mention
        if not isinstance(text, str) or not text.strip():
            raise Errors.EMPTY_TEXT.error(what="mention")
        return self.link_many([mention], k, mode)[0]

    def _rank(self, query: Query, variants: list[str], neighbours: list[tuple[float, int]], k: int,
              mode: str, limit: int | None = None) -> list[Candidate]:
        mention = query.text
        side = side_of(mention) or next((s for v in variants if (s := side_of(v))), None)
        words = content_words(variants[0] if variants else mention)
        best: dict[str, tuple[float, Candidate]] = {}

        def offer(code: str, score: float, matched: str, method: str, refine: bool = True) -> None:
            if method == "exact" and self.codes.billable(code):
                score += 0.002  # the matched text names this billable code itself, not its category
            target = self.codes.billable_target(self.codes.specific(code, words) if refine else code)
            if side:
                target = self.codes.billable_target(self.codes.lateral(target, side, words))
            current = best.get(target)
            if current is None or score > current[0]:
                best[target] = (score, Candidate(target, self.codes.display(target), round(float(min(score, 1.0)), 4),
                                                 matched, method, self.codes.billable(target)))

        if mode != "embedding":
            for text, factor in ((mention, 1.0), *((v, _VARIANT_FACTOR) for v in variants)):
                for i, score in self._lexical(text):
                    matched, code, _source = self._strings[i]
                    offer(code, factor * score, matched, "exact")
        by_code: dict[str, tuple[float, str]] = {}
        for score, i in neighbours:  # each code once, at its best string
            matched, code, _source = self._strings[i]
            if code not in by_code or score > by_code[code][0]:
                by_code[code] = (score, matched)
        ordered_neighbours = sorted(((s, m, c) for c, (s, m) in by_code.items()), reverse=True)
        limit = self.neighbours if limit is None else limit
        for n, (score, matched, code) in enumerate(ordered_neighbours):
            if n >= limit and len(best) >= k:
                break
            # the nearest few are made as specific as the mention; the rest only fill the list
            offer(code, _EMBEDDING_FACTOR * score, matched, "embedding", refine=n < 10)
        if mode == "combined" and best and max(b[0] for b in best.values()) >= 0.95:
            # an exact match: its billable siblings are alternatives too (with/without, other sides)
            top = max(best.values(), key=lambda x: x[0])
            parent = self.codes.cm.get_parent(self.codes._base(top[1].code)[0])
            if parent and not self.codes.cm.is_chapter_or_block(parent):
                siblings = [c for c in self.codes.cm.get_descendants(parent) if self.codes.billable(c)]
                siblings.sort(key=lambda c: (self.codes._default_rank(self.codes.display(c)), c))
                for c in siblings[: k * 2]:
                    offer(c, top[0] * 0.8, top[1].matched, "exact", refine=False)
        ordered = sorted(best.values(), key=lambda x: (-x[0], self.codes._default_rank(x[1].display), x[1].code))
        ranked = [candidate for _raw, candidate in ordered]
        if (query.history or query.family) and ranked and mode != "embedding":
            ranked = self._past(query, ranked) + ranked
            seen: set[str] = set()
            ranked = [c for c in ranked if not (c.code in seen or seen.add(c.code))]
        return ranked[:k]

    @cache  # noqa: B019 - one linker per process
    def _history_codes(self, family: bool) -> tuple[tuple[str, frozenset[str]], ...]:
        """Billable "family history of" codes, or "personal history of" and "old" codes, with the words
        that name their condition."""
        cm = self.codes.cm
        prefix = ("family history of",) if family else ("personal history of", "old ")
        out = []
        for text, code, source in self._strings:
            if source != "description" or not text.lower().startswith(prefix):
                continue
            code = self.codes.billable_target(code)
            words = content_words(text) - {"personal", "family", "history", "old", "other", "disease", "disorder"}
            if words and cm.is_valid_item(code):
                out.append((code, frozenset(words)))
        return tuple(out)

    def _past(self, query: Query, ranked: list[Candidate]) -> list[Candidate]:
        """"Personal history of" / "old" (or "family history of") codes for the top candidate: the one
        whose condition words cover most of the candidate's."""
        top = ranked[0]
        if top.score < 0.8:  # too unsure what the condition is to say it is past
            return []
        ignore = {"other", "disease", "disorder", "acute", "chronic"}
        cores = [c for c in (content_words(top.matched) - ignore, content_words(top.display) - ignore) if c]
        best: list[tuple[float, int, str]] = []
        for code, words in self._history_codes(query.family):
            for core in cores:
                shared = len(core & words)
                if shared:
                    best.append((shared / len(core | words), -len(words - core), code))
        if not best:
            return []
        ratio, _extra, code = max(best)
        if ratio < 0.3:
            return []
        return [Candidate(code, self.codes.display(code), round(min(1.0, top.score + 0.001), 4), top.matched, top.method,
                          self.codes.billable(code))]

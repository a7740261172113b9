"""Text normalisation and the tokenizer that every record-analysis component shares.

Matching runs on spaCy's NORM attribute, which we define as the lower-cased word with simple
plural folding and British-to-American spelling. NORM is computed once per vocabulary entry, not
per token, so folding costs nothing on the hot path.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import spacy
from spacy.attrs import NORM, ORTH
from spacy.language import Language
from spacy.tokens import Doc

from ..resources import load_rules


@cache
def _norm_tables() -> tuple[frozenset[str], dict[str, str]]:
    data = load_rules("normalization.json")
    return frozenset(data["no_fold"]), dict(data["spelling"])


def fold(word: str) -> str:
    """Normalise one token: lower case, American spelling, singular.

    >>> [fold(w) for w in ["Nodules", "extremities", "UTIs", "does", "masses", "oedema"]]
    ['nodule', 'extremity', 'uti', 'does', 'mass', 'edema']
    """
    no_fold, spelling = _norm_tables()
    lower = word.lower()
    if lower in spelling:
        return spelling[lower]
    if lower in no_fold or len(lower) <= 3 or not lower.isalpha():
        return lower
    if len(word) > 2 and word[:-1].isupper() and word[-1] == "s":  # acronym plurals: UTIs, PVCs
        return lower[:-1]
    if lower.endswith("sses"):
        return lower[:-2]
    if lower.endswith("ies") and len(lower) > 4:
        return lower[:-3] + "y"
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
        return lower[:-1]
    return spelling.get(lower, lower)


def make_nlp() -> Language:
    """A blank English pipeline whose NORM attribute is :func:`fold`."""
    nlp = spacy.blank("en")
    nlp.vocab.lex_attr_getters[NORM] = fold
    for lexeme in nlp.vocab:  # entries created before the getter was installed
        lexeme.norm_ = fold(lexeme.orth_)
    for abbreviation in load_rules("normalization.json")["single_tokens"]:
        for variant in {abbreviation, abbreviation.upper(), abbreviation.capitalize()}:
            nlp.tokenizer.add_special_case(variant, [{ORTH: variant}])
            # spaCy does not split a final "." after a capital letter ("N/V."), so say it here
            for punct in ".,;:)":
                nlp.tokenizer.add_special_case(variant + punct, [{ORTH: variant}, {ORTH: punct}])
    nlp.max_length = 10_000_000  # our own limit (records.max_text_chars) applies first
    return nlp


# -- the matching view of a note ------------------------------------------------------------------
# Notes wrap lines and pad with spaces; spaCy keeps every extra whitespace run as a token of its own,
# so "no family\nhistory of" or "chest  pain" would not match a two-word phrase. We therefore analyse
# a compact Doc without whitespace tokens and keep, per token, its offsets in the original text.
# Every offset we report goes through these arrays, so offsets always refer to the text as sent.
_SOURCE = "nlps_source"


def compact_doc(nlp: Language, text: str) -> Doc:
    """Tokenize ``text`` and return a Doc without whitespace tokens, mapped to ``text``."""
    raw = nlp.tokenizer(text)
    kept = [t for t in raw if not t.is_space]
    words = [t.text for t in kept]
    starts = np.fromiter((t.idx for t in kept), dtype=np.int64, count=len(kept))
    ends = starts + np.fromiter((len(w) for w in words), dtype=np.int64, count=len(kept))
    # a token is followed by a space in the compact text when any whitespace follows it here
    following = np.append(starts[1:], len(text)) if len(kept) else starts
    doc = Doc(nlp.vocab, words=words, spaces=(ends < following).tolist())
    doc.user_data[_SOURCE] = (text, starts, ends)
    return doc


def source_text(doc: Doc) -> str:
    """The original text a compact Doc was made from."""
    return doc.user_data[_SOURCE][0]


def source_offsets(doc: Doc) -> tuple[np.ndarray, np.ndarray]:
    """Per token, its start and end offsets in the original text."""
    _, starts, ends = doc.user_data[_SOURCE]
    return starts, ends


def char_span(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Original-text offsets of tokens ``[start, end)``."""
    starts, ends = source_offsets(doc)
    return int(starts[start]), int(ends[end - 1])


def token_range(doc: Doc, begin: int, end: int) -> tuple[int, int]:
    """The tokens that overlap original-text offsets ``[begin, end)`` (may be empty: start == end)."""
    starts, ends = source_offsets(doc)
    first = int(np.searchsorted(ends, begin, side="right"))
    last = int(np.searchsorted(starts, end, side="left"))
    return first, max(first, last)


def sentence_index(doc: Doc) -> tuple[np.ndarray, np.ndarray]:
    """Per token, the start and end token of its sentence (computed once per Doc, then cached).

    spaCy's ``Token.sent`` walks the sentence on every call; on a long sentence with many
    entities that becomes quadratic, so components use this table instead.
    """
    cached = doc.user_data.get("nlps_sentences")
    if cached is None:
        starts = np.zeros(len(doc), dtype=np.int64)
        ends = np.zeros(len(doc), dtype=np.int64)
        for sent in doc.sents:
            starts[sent.start : sent.end] = sent.start
            ends[sent.start : sent.end] = sent.end
        cached = doc.user_data["nlps_sentences"] = (starts, ends)
    return cached

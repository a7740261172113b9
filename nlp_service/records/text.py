"""Text normalisation and the tokenizer that every record-analysis component shares.

Matching runs on spaCy's NORM attribute, which we define as the lower-cased word with simple
plural folding and British-to-American spelling. NORM is computed once per vocabulary entry, not
per token, so folding costs nothing on the hot path.
"""

from __future__ import annotations

from functools import cache

import spacy
from spacy.attrs import NORM, ORTH
from spacy.language import Language

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

"""Every spaCy extension attribute that record analysis uses, declared in one place.

Names carry the ``nlps_`` prefix: medspaCy registers ``section``, ``sections`` and others of its own.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

DOC_EXTENSIONS = {
    "nlps_sections": [],  # list[SectionSpan]
    "nlps_terms": (),  # request terms (tuple[Term, ...]) for this document
}
SPAN_EXTENSIONS = {
    "nlps_concept": None,  # dict: id, preferred, type, codes, source, matched
    "nlps_assertion": None,  # nlp_service.schemas.Assertion
    "nlps_cues": (),  # tuple[Cue, ...]
    "nlps_med_attributes": (),  # tuple[Attribute, ...]
    "nlps_codes": (),  # tuple[Code, ...]
    "nlps_section": None,  # section category
}


def set_extensions() -> None:
    """Register the extensions (idempotent)."""
    for name, default in DOC_EXTENSIONS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
    for name, default in SPAN_EXTENSIONS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)

"""Record analysis: one note in, one :class:`~nlp_service.schemas.RecordAnalysis` out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pydantic import ValidationError
from spacy.language import Language
from spacy.tokens import Doc

from ..config import EmbeddingSettings, LinkingSettings, RecordsSettings, format_validation_error
from ..errors import Errors
from ..schemas import Entity, RecordAnalysis, Section, Sentence, Term
from ..validation import check_text
from ..version import __version__
from .components import register_factories
from .text import char_span, compact_doc, make_nlp, source_text

TermLike = Term | dict[str, Any] | tuple[str, str]


def as_terms(terms: Iterable[TermLike] | None) -> tuple[Term, ...]:
    """Normalise request terms given as :class:`Term`, dicts or ``(text, category)`` pairs."""
    out = []
    for i, t in enumerate(terms or ()):
        try:
            if isinstance(t, Term):
                out.append(t)
            elif isinstance(t, dict):
                out.append(Term.model_validate(t))
            elif isinstance(t, tuple | list) and len(t) == 2:
                out.append(Term(text=t[0], category=t[1]))
            else:
                raise TypeError("expected a Term, a {text, category} dict or a (text, category) pair")
        except (ValidationError, TypeError) as exc:
            message = "; ".join(format_validation_error(exc)) if isinstance(exc, ValidationError) else str(exc)
            raise Errors.INVALID_REQUEST.error(
                summary=f"Invalid term {i}: {message}", errors=[{"field": f"terms.{i}", "message": message}]
            ) from None
    return tuple(out)


class RecordAnalyzer:
    """Analyses clinical notes: sections, sentences, entities, assertions, attributes and codes.

    Build it once per process (``nlp_service.load()`` does) and share it: the lexicons and rules
    load in the constructor and every call reuses them.

    Example:
        >>> import nlp_service
        >>> analyzer = nlp_service.load()
        >>> result = analyzer.analyze("Denies chest pain. h/o HTN.")
        >>> [(e.text, e.assertion.certainty.value, e.assertion.temporality.value) for e in result.entities]
        [('chest pain', 'negated', 'current'), ('HTN', 'positive', 'historical')]
    """

    def __init__(self, settings: RecordsSettings, linking: LinkingSettings | None = None,
                 embeddings: EmbeddingSettings | None = None) -> None:
        register_factories()
        self.settings = settings
        self.nlp: Language = make_nlp()
        linking, embeddings = linking or LinkingSettings(), embeddings or EmbeddingSettings()
        component_config = {
            "nlp_service_concepts_v1": {"lexicons": list(settings.lexicons)},
            "nlp_service_icd10cm_v2": {"top_k": linking.top_k, "neighbours": linking.neighbours, "mode": linking.mode,
                                       "exact_neighbours": linking.exact_neighbours,
                                       "cache_dir": embeddings.cache_dir, "backend": embeddings.backend},
        }
        for name in settings.pipeline:
            if name not in Language.factories:
                raise Errors.UNKNOWN_COMPONENT.error(
                    kind="pipeline component", name=name,
                    available=", ".join(sorted(n for n in Language.factories if n.startswith("nlp_service_"))),
                )
            self.nlp.add_pipe(name, config=component_config.get(name, {}))

    def prepare(self) -> None:
        """Build or load what components load lazily (the ICD-10-CM synonym index), so that the
        first request does not pay for it."""
        for _name, component in self.nlp.pipeline:
            linker = getattr(component, "linker", None)
            if linker is not None:
                linker.prepare()

    # -- input checks -------------------------------------------------------------------------
    def check_text(self, text: Any) -> str:
        """Validate one note (see :func:`nlp_service.validation.check_text`)."""
        return check_text(text, self.settings.max_text_chars)

    def check_terms(self, terms: Iterable[TermLike] | None) -> tuple[Term, ...]:
        """Validate request terms (count limit, schema)."""
        out = as_terms(terms)
        if len(out) > self.settings.max_terms:
            raise Errors.TOO_MANY_TERMS.error(count=len(out), limit=self.settings.max_terms)
        return out

    # -- analysis -------------------------------------------------------------------------------
    def make_doc(self, text: str, terms: Iterable[TermLike] | None = None) -> Doc:
        doc = compact_doc(self.nlp, self.check_text(text))
        doc._.nlps_terms = self.check_terms(terms)
        return doc

    def analyze(self, text: str, terms: Iterable[TermLike] | None = None) -> RecordAnalysis:
        """Analyse one note.

        Args:
            text: the note, exactly as stored; all offsets refer to it.
            terms: extra terms to find, as :class:`Term`, ``{"text", "category"}`` dicts or
                ``(text, category)`` pairs.

        Returns:
            RecordAnalysis: sections, sentences and entities with assertions, cues, attributes, codes.
        """
        return self.to_result(self.nlp(self.make_doc(text, terms)))

    def analyze_many(
        self, items: Iterable[str | tuple[str, Sequence[TermLike]]], batch_size: int = 32
    ) -> Iterator[RecordAnalysis]:
        """Analyse many notes (``text`` or ``(text, terms)``), streaming results in order."""

        def docs() -> Iterator[Doc]:
            for item in items:
                text, terms = (item, ()) if isinstance(item, str) else item
                yield self.make_doc(text, terms)

        for doc in self.nlp.pipe(docs(), batch_size=batch_size):
            yield self.to_result(doc)

    @staticmethod
    def to_result(doc: Doc) -> RecordAnalysis:
        """Convert an analysed Doc to the shared result schema."""
        text = source_text(doc)
        sentences = []
        if len(doc):
            for sent in doc.sents:
                b, e = char_span(doc, sent.start, sent.end)
                sentences.append(Sentence(text=text[b:e], begin=b, end=e))
        sections = [
            Section(
                category=s.category, title=s.title, title_begin=s.title_begin,
                title_end=s.title_end, begin=s.begin, end=s.end,
            )
            for s in doc._.nlps_sections
        ]
        entities = []
        for ent in doc.ents:
            concept = ent._.nlps_concept or {}
            b, e = char_span(doc, ent.start, ent.end)
            entities.append(
                Entity(
                    text=text[b:e],
                    begin=b,
                    end=e,
                    category=ent.label_,
                    type=concept.get("type"),
                    preferred=concept.get("preferred"),
                    source=concept.get("source") if concept.get("source") == "request" else "lexicon",
                    section=ent._.nlps_section,
                    assertion=ent._.nlps_assertion or {},
                    cues=list(ent._.nlps_cues),
                    attributes=list(ent._.nlps_med_attributes),
                    codes=list(ent._.nlps_codes),
                )
            )
        return RecordAnalysis(
            text_length=len(text), sections=sections, sentences=sentences, entities=entities,
            version=__version__,
        )

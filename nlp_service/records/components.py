"""The record-analysis pipeline components, registered with spaCy by versioned name.

Registration is explicit (:func:`register_factories`), not a side effect of importing a module,
and the active pipeline is configuration (``records.pipeline``). A registered name never changes
behaviour; a new behaviour gets a new version (``...v2``) so old configurations keep loading.
"""





import numpy as np
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from .assertions import AssertionTagger
from .concepts import ConceptMatcher
from .extensions import set_extensions
from .linking import IcdCodeLinker, LexiconCodeLinker
from .medications import MedicationAttributes
from .sections import SectionDetector
from .sentences import SentenceRules
from .text import source_offsets, source_text


class SectionComponent:
    """Stores the note's sections on ``doc._.nlps_sections``."""

    def __init__(self) -> None:
        self.detector = SectionDetector()

    def __call__(self, doc: Doc) -> Doc:
        doc._.nlps_sections = self.detector.find(source_text(doc))
        return doc


class SentenceComponent:
    """Sets sentence starts from :class:`SentenceRules` (header lines are their own sentences)."""

    def __init__(self) -> None:
        self.rules = SentenceRules()

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        headers = [(s.title_begin, s.body_begin) for s in doc._.nlps_sections]
        starts = np.asarray(self.rules.starts(source_text(doc), headers), dtype=np.int64)
        idx = source_offsets(doc)[0]
        # the token that contains each start offset
        tokens = np.searchsorted(idx, starts, side="right") - 1
        values = np.full((len(doc), 1), -1, dtype=np.int64)
        values[np.clip(tokens, 0, len(doc) - 1), 0] = 1
        values[0, 0] = 1
        doc.from_array([SENT_START], values.astype(np.uint64))
        return doc


_REGISTERED = False

COMPONENTS: dict[str, str] = {
    "nlp_service_sections_v1": "section headers and section spans (data: sections.json)",
    "nlp_service_sentences_v1": "clinical sentence boundaries (data: sentences.json)",
    "nlp_service_concepts_v1": "lexicon and request-term concepts as doc.ents",
    "nlp_service_assertions_v1": "ConText assertions with cues and section context (data: context_rules.json)",
    "nlp_service_medication_attributes_v1": "strength, dose, route, frequency, duration, form",
    "nlp_service_icd10cm_lexicon_v1": "ICD-10-CM codes from the problem lexicon",
    "nlp_service_icd10cm_v2": "top-k ICD-10-CM codes from the whole code set (lexical + embeddings; data: icd_linking.json)",
}


def register_factories() -> None:
    """Register every component factory with spaCy (idempotent)."""
    global _REGISTERED
    if _REGISTERED:
        return
    set_extensions()

    def sections(nlp: Language, name: str) -> SectionComponent:
        return SectionComponent()

    def sentences(nlp: Language, name: str) -> SentenceComponent:
        return SentenceComponent()

    def concepts(nlp: Language, name: str, lexicons: list[str]) -> ConceptMatcher:
        return ConceptMatcher(nlp, lexicons)

    def assertions(
        nlp: Language, name: str, rules_file: str, block_tokens: int, max_sentence_tokens: int
    ) -> AssertionTagger:
        return AssertionTagger(
            nlp, rules_file=rules_file, block_tokens=block_tokens, max_sentence_tokens=max_sentence_tokens
        )

    def medication_attributes(nlp: Language, name: str) -> MedicationAttributes:
        return MedicationAttributes()

    def icd10cm_lexicon(nlp: Language, name: str, max_codes: int) -> LexiconCodeLinker:
        return LexiconCodeLinker(max_codes=max_codes)

    def icd10cm(nlp: Language, name: str, top_k: int, cache_dir: str, backend: str, neighbours: int,
                mode: str, exact_neighbours: int) -> IcdCodeLinker:
        return IcdCodeLinker(top_k=top_k, cache_dir=cache_dir, backend=backend, neighbours=neighbours, mode=mode,
                             exact_neighbours=exact_neighbours)

    Language.factory("nlp_service_sections_v1", func=sections)
    Language.factory("nlp_service_sentences_v1", func=sentences)
    Language.factory(
        "nlp_service_concepts_v1",
        default_config={"lexicons": ["problems", "medications", "tests_procedures", "anatomy"]},
        func=concepts,
    )
    Language.factory(
        "nlp_service_assertions_v1",
        default_config={"rules_file": "context_rules.json", "block_tokens": 150, "max_sentence_tokens": 120},
        func=assertions,
    )
    Language.factory("nlp_service_medication_attributes_v1", func=medication_attributes)
    # one code: the concept's primary code; its other codes are laterality or subtype variants the
    # text rarely supports ("breast cancer" is not "right breast cancer")
    Language.factory("nlp_service_icd10cm_lexicon_v1", default_config={"max_codes": 1}, func=icd10cm_lexicon)
    Language.factory(
        "nlp_service_icd10cm_v2",
        default_config={"top_k": 5, "cache_dir": "var/models", "backend": "auto", "neighbours": 40, "mode": "combined",
                        "exact_neighbours": 10},
        func=icd10cm,
    )
    _REGISTERED = True

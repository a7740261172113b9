"""The one typed result schema, shared by the Python API, the CLI and HTTP.

Field names follow the crosswalk in docs/ARCHITECTURE.md: character offsets are ``begin``/``end``
(end exclusive) into the text exactly as the caller sent it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator


class Category(StrEnum):
    """Clinical entity categories."""

    PROBLEM = "PROBLEM"
    MEDICATION = "MEDICATION"
    TEST_OR_PROCEDURE = "TEST_OR_PROCEDURE"
    ANATOMY = "ANATOMY"


class Certainty(StrEnum):
    POSITIVE = "positive"
    NEGATED = "negated"
    POSSIBLE = "possible"


class Temporality(StrEnum):
    CURRENT = "current"
    HISTORICAL = "historical"
    HYPOTHETICAL = "hypothetical"


class Subject(StrEnum):
    PATIENT = "patient"
    FAMILY = "family"
    OTHER = "other"


class AttributeType(StrEnum):
    """Medication attribute kinds."""

    STRENGTH = "STRENGTH"
    DOSE = "DOSE"
    ROUTE = "ROUTE"
    FREQUENCY = "FREQUENCY"
    DURATION = "DURATION"
    FORM = "FORM"


class PhiType(StrEnum):
    """The HIPAA Safe Harbor identifier groups that occur in clinical text."""

    NAME = "NAME"
    DATE = "DATE"
    AGE = "AGE"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    ID = "ID"
    URL = "URL"
    LOCATION = "LOCATION"
    ORGANIZATION = "ORGANIZATION"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Span(_Model):
    """A stretch of the input text."""

    text: str
    begin: int = Field(ge=0, description="offset of the first character")
    end: int = Field(ge=0, description="offset after the last character")


class Assertion(_Model):
    """Where an entity stands on each assertion axis."""

    certainty: Certainty = Certainty.POSITIVE
    temporality: Temporality = Temporality.CURRENT
    subject: Subject = Subject.PATIENT


class Cue(Span):
    """The evidence for one non-default assertion value: the trigger text and the rule that fired."""

    axis: Literal["certainty", "temporality", "subject"]
    value: str
    rule: str = Field(description="rule id from the context rules or section rules")


class Attribute(Span):
    """A medication attribute, related to the entity that carries it."""

    type: AttributeType


class Code(_Model):
    """A code from a terminology, linked to an entity."""

    system: Literal["ICD-10-CM"] = "ICD-10-CM"
    code: str
    display: str
    score: float = Field(ge=0.0, le=1.0)
    matched: str = Field(description="the lexicon term or synonym that produced the link")
    method: Literal["lexicon", "exact", "embedding"] = "lexicon"
    billable: bool = True
    version: str | None = Field(None, description="the code-set release, e.g. 'ICD-10-CM 2026 (simple-icd-10-cm 1.5.0)'")


class Entity(Span):
    """A clinical entity found in the text."""

    category: Category
    type: str | None = Field(
        None, description="PROBLEM: diagnosis, symptom or sign; MEDICATION: drug class; "
        "TEST_OR_PROCEDURE: lab, imaging, diagnostic_test, procedure, vital_sign or therapy"
    )
    preferred: str | None = Field(None, description="preferred name of the matched concept")
    source: Literal["lexicon", "request"] = "lexicon"
    section: str | None = Field(None, description="category of the section it occurs in")
    assertion: Assertion = Assertion()
    cues: list[Cue] = []
    attributes: list[Attribute] = []
    codes: list[Code] = []


class Section(_Model):
    """A section of the note: its header title and the stretch it covers (title included)."""

    category: str
    title: str
    title_begin: int
    title_end: int
    begin: int
    end: int


class Sentence(Span):
    """A sentence, list item or header line."""


class PhiFinding(_Model):
    """An identifier found in the text. ``text`` (the original value) is only filled on request."""

    type: PhiType
    begin: int = Field(ge=0)
    end: int = Field(ge=0)
    score: float = Field(ge=0.0, le=1.0)
    recognizer: str = Field(description="versioned name of the recognizer that found it")
    explanation: str = ""
    text: str | None = Field(None, description="the original value; only with return_originals")


class Replacement(PhiFinding):
    """A finding and what replaced it; ``new_begin``/``new_end`` are offsets in the new text."""

    operator: str
    replacement: str
    new_begin: int = Field(ge=0)
    new_end: int = Field(ge=0)


class RecordAnalysis(_Model):
    """Everything record analysis finds in one note."""

    text_length: int
    sections: list[Section] = []
    sentences: list[Sentence] = []
    entities: list[Entity] = []
    phi: list[PhiFinding] | None = Field(None, description="PHI findings, when include_phi was asked")
    version: str = Field(description="nlp-service version that produced the result")


TermText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Term(_Model):
    """A caller-supplied term, found and asserted like the built-in lexicon."""

    text: TermText
    category: Category = Field(description="PROBLEM, MEDICATION, TEST_OR_PROCEDURE or ANATOMY (any case)")
    type: str | None = Field(None, max_length=50)

    @field_validator("category", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class AnalyzeRequest(_Model):
    """Body of ``POST /v1/records/analyze``."""

    text: str
    terms: list[Term] = []
    include_phi: bool = Field(False, strict=True, description="also return PHI findings (no values)")


OperatorName = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class DeidentifyRequest(_Model):
    """Body of ``POST /v1/deidentify``."""

    text: str
    operator: OperatorName = Field("mask", description="redact, mask, surrogate, hash or shift_dates")
    operators: dict[str, OperatorName] = Field({}, description="per-type operators, e.g. {'DATE': 'shift_dates'}")
    patient_key: str | None = Field(
        None, min_length=1, max_length=200,
        description="keeps surrogates and date shifts consistent across this patient's documents",
    )
    return_originals: bool = Field(False, strict=True, description="include the original values in the findings")


class PhiDetectRequest(_Model):
    """Body of ``POST /v1/phi/detect``."""

    text: str
    return_originals: bool = Field(False, strict=True, description="include the original values in the findings")


class PhiDetectResult(_Model):
    """PHI found in one text; offsets refer to the text as sent."""

    text_length: int
    findings: list[PhiFinding] = []
    version: str


class DeidentifyResult(_Model):
    """The de-identified text and every span that was replaced."""

    text: str
    operator: str
    findings: list[Replacement] = []
    version: str


# -- linking ------------------------------------------------------------------------------------------
class LinkMention(_Model):
    text: str
    history: bool = Field(False, strict=True, description="the problem is past: adds 'personal history of' codes")
    family: bool = Field(False, strict=True, description="the problem is a relative's: adds 'family history of' codes")


class LinkRequest(_Model):
    """Problem mentions to code with ICD-10-CM."""

    mentions: list[str | LinkMention]
    k: int | None = Field(None, strict=True, description="codes per mention (default linking.top_k, at most 20)")


class LinkedMention(_Model):
    text: str
    codes: list[Code]


class LinkResult(_Model):
    code_set: str
    mentions: list[LinkedMention]
    version: str


# -- search -------------------------------------------------------------------------------------------
MetadataValue = str | int | float | bool


class SearchRecord(_Model):
    """One record to index: an id, its text, and flat metadata to filter on."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    text: str
    metadata: dict[str, MetadataValue | None] = {}


class SearchRequest(_Model):
    """Search an index by query text or by the id of a record in it (more like this)."""

    index: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    query: str | None = Field(None, description="text to search for; give this or record_id")
    record_id: str | None = Field(None, description="find records like this one (it is left out of the hits)")
    k: int = Field(10, strict=True, description="how many records to return (1 to search.max_k)")
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid"
    filters: dict[str, MetadataValue | list[MetadataValue]] = Field(
        {}, description="metadata equality filters; a list means any of these values")


class Passage(Span):
    """The stretch of a record that matched best."""


class SearchHit(_Model):
    id: str
    score: float = Field(description="fused score (reciprocal rank fusion in hybrid mode, cosine or BM25 otherwise)")
    rank: int
    metadata: dict[str, MetadataValue | None] = {}
    passage: Passage
    dense_rank: int | None = Field(None, description="the passage's rank in dense retrieval (1 = best)")
    lexical_rank: int | None = Field(None, description="the passage's rank in BM25 retrieval (1 = best)")


class SearchResult(_Model):
    index: str
    mode: str
    k: int
    hits: list[SearchHit]
    version: str


class IndexInfo(_Model):
    name: str
    records: int
    passages: int
    vector_index: str = Field(description="exact or hnsw")
    encoder: str
    created: str
    updated: str


class BuildReport(_Model):
    """What an index build or add did: counts, and every line that was skipped with why."""

    name: str
    added: int
    replaced: int = 0
    skipped: list[dict[str, int | str]] = []
    records: int
    passages: int
    seconds: float


# -- triage -------------------------------------------------------------------------------------------
class TriageRequest(_Model):
    text: str
    model: str | None = Field(None, description="nb, svm, rf, knn, transformer, rnn, cnn, or cascade (the default)")
    explain: bool = Field(True, strict=True)


class RedFlagHit(Span):
    rule: str
    name: str


class TokenWeight(_Model):
    token: str
    weight: float


class TriageResult(_Model):
    urgency: str = Field(description="emergency, urgent, routine or self_care")
    destination: str
    urgency_probabilities: dict[str, float]
    destination_probabilities: dict[str, float]
    model: str = Field(description="the model that answered for urgency")
    cascade: list[str] = Field([], description="each tier tried for urgency, with its confidence")
    red_flags: list[RedFlagHit] = []
    explanation: list[TokenWeight] = Field([], description="tokens that pushed towards the urgency, with weights")
    latency_ms: float
    version: str


# --- medical question answering ---------------------------------------------------------------------

QTYPES = ("information", "symptoms", "treatment", "inheritance", "frequency", "genetic changes", "causes",
          "exams and tests", "research", "outlook", "susceptibility", "considerations", "prevention", "stages",
          "complications", "support groups")


class KBEntry(_Model):
    """One trusted question-answer pair of a knowledge base (one JSONL line)."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(description="the pair's id in its KB (MedQuAD: SOURCE_QID)")
    qid: str | None = Field(None, description="MedQuAD question id (unique within its source)")
    question: Annotated[str, StringConstraints(min_length=1, max_length=2_000)]
    answer: Annotated[str, StringConstraints(min_length=1, max_length=200_000)]
    source: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(description="who wrote the answer")
    url: str | None = None
    focus: Annotated[str, StringConstraints(min_length=1, max_length=300)] = Field(description="the medical entity asked about")
    qtype: str = Field(description="question type: one of the 16 MedQuAD types")
    licence: str | None = None
    cuis: list[str] = Field([], description="UMLS CUIs of the focus, where known")
    synonyms: list[str] = Field([], description="other names of the focus (MedQuAD's focus synonyms)")
    document: str | None = Field(None, description="the source document (MedQuAD: collection/file)")

    @field_validator("qtype")
    @classmethod
    def _known_qtype(cls, value: str) -> str:
        if value not in QTYPES:
            raise ValueError(f"unknown question type {value!r}; use one of: {', '.join(QTYPES)}")
        return value

    @field_validator("question", "answer", "focus", "source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is blank")
        return value


class QARequest(_Model):
    question: str = Field(description="a consumer-health question, up to 5,000 characters",
                          examples=["What are the side effects of metformin?"])
    k: int = Field(3, description="how many answers to return (1 to qa.max_k)")
    kb: str | None = Field(None, description="knowledge base name (default: qa.default_kb)")


class QuestionUnderstanding(_Model):
    focus: str | None = Field(None, description="the medical entity the question is about")
    focus_source: str | None = Field(None, description="'kb' (a knowledge-base focus) or 'records' (record analysis)")
    qtype: str = Field(description="predicted question type")
    qtype_confidence: float
    short_form: str = Field(description="a short form of the question, used for retrieval")


class QAAnswer(_Model):
    id: str = Field(description="the pair's id in the KB")
    qid: str | None = Field(None, description="MedQuAD question id, where the pair comes from MedQuAD")
    question: str = Field(description="the already-answered question that matched")
    answer: str
    passage: Passage = Field(description="the stretch of the answer that best answers the question")
    source: str
    url: str | None
    focus: str
    qtype: str
    score: float = Field(description="re-ranker score (0..1) or fused retrieval score")


class QAResult(_Model):
    kb: str
    question_understanding: QuestionUnderstanding
    emergency: str | None = Field(None, description="a 'seek care now' notice when the question describes an emergency")
    red_flags: list[RedFlagHit] = []
    abstained: bool = Field(description="true when no answer is confident enough; see nearest_topics")
    answers: list[QAAnswer]
    nearest_topics: list[str] = Field([], description="knowledge-base topics near the question (when abstaining)")
    notice: str = Field(description="not medical advice")
    reranked: bool
    latency_ms: float
    version: str


class KBInfo(_Model):
    name: str
    entries: int
    built: bool
    built_at: str | None = None
    sources: dict[str, int] = {}
    qtypes: dict[str, int] = {}
    heldout: int = Field(0, description="entries whose question is kept out of the question index (evaluation)")


class KBList(_Model):
    kbs: list[KBInfo]


class IndexList(_Model):
    indexes: list[IndexInfo]


class Health(_Model):
    status: Literal["ok", "loading"]
    version: str


class Readiness(_Model):
    status: Literal["ready"]
    version: str
    checks: dict[str, bool] = Field(description="each service and store, and whether it is ready")


class FieldError(_Model):
    field: str = Field(description="the request field, dotted (e.g. terms.0.category), or (body)")
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details with the catalogue's stable code."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="urn:nlp-service:error:<code>")
    title: str
    status: int
    detail: str
    code: str | None = Field(None, description="the stable catalogue code, e.g. E101")
    instance: str | None = None
    errors: list[FieldError] = []

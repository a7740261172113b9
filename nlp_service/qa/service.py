"""Answer consumer-health questions from a knowledge base of trusted question-answer pairs.

Following the question-entailment approach (Ben Abacha & Demner-Fushman, BMC Bioinformatics 2019),
a new question is answered by finding already-answered questions that it entails and returning their
trusted answers with sources, never by generating text:

1. **Understanding**: the question type (a classifier trained on the KB's own questions), the focus
   (the KB topic named in the question, matched against the topics of the retrieved candidates and
   the entities that record analysis finds), and a short form ("What are the symptoms of X ?") that
   strips the personal context from long, messy questions.
2. **Retrieval**: dense (MiniLM) and lexical (BM25) search over the KB's questions and its answers,
   for the question and its short form, fused by reciprocal rank.
3. **Re-ranking**: a MiniLM cross-encoder fine-tuned on KB question pairs scores the top candidates
   (``qa.rerank_top``); candidates whose focus and type match the understanding are preferred.
4. **Answer**: the top answers with the matched question, source, URL, score and the passage that
   answers; below ``qa.abstain_threshold`` the service abstains and lists the nearest topics. Red flags
   in the question (the triage rules) put a "seek care now" notice first.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..config import EmbeddingSettings, QASettings, SearchSettings, format_validation_error
from ..errors import Errors
from ..resources import load_rules
from ..schemas import (
    KBEntry,
    KBInfo,
    Passage,
    QAAnswer,
    QARequest,
    QAResult,
    QuestionUnderstanding,
    RedFlagHit,
)
from ..search.collection import check_name
from ..triage.redflags import red_flags
from ..validation import check_text
from ..version import __version__
from . import store
from .focus import QuestionText, best_mention, words
from .kb import read_entries, write_entries
from .store import KnowledgeBase, normalise

MODES = ("lexical", "dense", "hybrid")
FOCUS_MIN = 0.6  # weighted share of a topic's words the question must hold for the topic to count as its focus
# P(type) mixes the whole question's and its asking sentences' (corpora/qa/medquad_dev.jsonl: type right for
# 0.750 of the dev questions from the whole question alone, 0.800 with the mix)
ASKING_TYPE = 0.5
RERANK_SHORT_FORM = True  # the cross-encoder reads the short form, in the KB's own phrasing, once the focus is known
RERANK_WEIGHT = 0.05  # with the understanding on, the re-ranker only breaks near-ties (dev: 0.800 at 0.05, 0.787 at 0.2, 0.775 at 1)


def entity_finder(analyzer: Any) -> Callable[[str], list[str]]:
    """Record analysis as the question's entity finder: problems, medications, tests, longest first."""

    def find(text: str) -> list[str]:
        entities = analyzer.analyze(text).entities
        return [e.text for e in sorted(entities, key=lambda e: -(e.end - e.begin))]

    return find


class QAService:
    def __init__(self, settings: QASettings, search: SearchSettings | None = None, embeddings: EmbeddingSettings | None = None,
                 entities: Callable[[str], list[str]] | None = None) -> None:
        self.settings = settings
        self.search_settings = search or SearchSettings()
        self.embeddings = embeddings or EmbeddingSettings()
        self.root = Path(settings.data_dir)
        self._entities = entities  # record analysis: entity texts of a question (focus candidates)
        self._open: dict[str, tuple[float, KnowledgeBase]] = {}
        self._lock = threading.RLock()
        self._encoder: Any = None
        self._reranker: Any = None
        self._rules = load_rules("qa_questions.json")

    # -- resources ---------------------------------------------------------------------------------
    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            from ..embeddings import get_encoder

            self._encoder = get_encoder(self.embeddings.backend, self.embeddings.cache_dir)
        return self._encoder

    @property
    def reranker(self) -> Any:
        if self._reranker is None:
            from .rerank import CrossEncoder

            path = Path(self.settings.reranker)
            if not path.is_absolute():
                path = Path(__file__).resolve().parents[2] / path
            if not (path / "config.json").is_file():
                raise Errors.MODEL_MISSING.error(path=str(path), command="nlp-service train-reranker")
            self._reranker = CrossEncoder.load(path, cache_dir=Path(self.embeddings.cache_dir))
        return self._reranker

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "entries.jsonl").is_file() and not p.name.startswith("."))

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def kb(self, name: str) -> KnowledgeBase:
        path = self._path(name)
        if not (path / "entries.jsonl").is_file():
            raise Errors.UNKNOWN_KB.error(name=name, available=", ".join(self.names()) or "none")
        manifest = path / "index" / "kb.json"
        stamp = manifest.stat().st_mtime_ns if manifest.is_file() else -1
        with self._lock:
            cached = self._open.get(name)
            if cached and cached[0] == stamp:
                return cached[1]
            kb = KnowledgeBase.open(path)  # E205 when not built, E304 when damaged
            if cached:
                cached[1].close()
            self._open[name] = (stamp, kb)
            return kb

    def info(self, name: str) -> KBInfo:
        path = self._path(name)
        if not (path / "entries.jsonl").is_file():
            raise Errors.UNKNOWN_KB.error(name=name, available=", ".join(self.names()) or "none")
        manifest_path = path / "index" / "kb.json"
        if manifest_path.is_file():
            m = json.loads(manifest_path.read_text(encoding="utf-8"))
            return KBInfo(name=name, entries=m["entries"], built=True, built_at=m["built_at"], sources=m["sources"],
                          qtypes=m["qtypes"], heldout=m["heldout"])
        with (path / "entries.jsonl").open(encoding="utf-8") as lines:
            count = sum(1 for line in lines if line.strip())
        return KBInfo(name=name, entries=count, built=False)

    def list(self) -> list[KBInfo]:
        return [self.info(name) for name in self.names()]

    # -- changes -----------------------------------------------------------------------------------
    def store(self, name: str, entries: list[KBEntry], report: dict[str, Any], heldout: set[str] | None = None) -> dict[str, Any]:
        """Write a KB's entries (replacing any old ones; the index must then be rebuilt)."""
        path = self._path(name)
        path.mkdir(parents=True, exist_ok=True)
        write_entries(path / "entries.jsonl", entries)
        ids = {e.id for e in entries}
        kept_out = sorted((heldout or set()) & ids)
        (path / "heldout.json").write_text(json.dumps(kept_out), encoding="utf-8")
        report = {**report, "kb": name, "entries": len(entries), "heldout": len(kept_out)}
        if heldout:
            report["heldout_not_found"] = len(heldout - ids)
        (path / "import_report.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        return report

    def ensure_default(self) -> bool:
        """Import and build the default KB from ``qa.default_kb_source`` when it is missing or unbuilt;
        True when it was built now."""
        name = self.settings.default_kb
        path = self._path(name)
        if (path / "index" / "kb.json").is_file():
            return False
        source = Path(self.settings.default_kb_source)
        if not source.is_absolute():
            source = Path(__file__).resolve().parents[2] / source
        if not (path / "entries.jsonl").is_file():
            if not source.is_file():
                raise Errors.INPUT_NOT_FOUND.error(path=str(source))
            entries, problems = read_entries(source.read_text(encoding="utf-8").splitlines(), str(source))
            self.store(name, entries, {"source": str(source), "lines_skipped": problems})
        self.build(name)
        return True

    def build(self, name: str) -> dict[str, Any]:
        path = self._path(name)
        if not (path / "entries.jsonl").is_file():
            raise Errors.UNKNOWN_KB.error(name=name, available=", ".join(self.names()) or "none")
        manifest = store.build(path, self.encoder, self.settings.passage_chars, self.search_settings.exact_threshold,
                               qtype_model=self.settings.qtype_model)
        manifest["bytes"] = store.folder_bytes(path / "index")
        return manifest

    # -- answering ---------------------------------------------------------------------------------
    def _request(self, request: QARequest | dict[str, Any]) -> QARequest:
        if isinstance(request, QARequest):
            return request
        if not isinstance(request, dict):
            raise Errors.INVALID_REQUEST.error(summary="The request must be a JSON object with 'question'.")
        if "question" not in request:
            raise Errors.INVALID_REQUEST.error(summary="Give the 'question' to answer.",
                                               errors=[{"field": "question", "message": "required"}])
        k = request.get("k", 3)
        if isinstance(k, bool) or not isinstance(k, int):
            raise Errors.K_OUT_OF_RANGE.error(limit=self.settings.max_k, k=k)
        check_text(request["question"], self.settings.max_question_chars, field="question")
        try:
            return QARequest.model_validate(request)
        except ValidationError as exc:
            raise Errors.INVALID_REQUEST.error(summary="Invalid question request: " + "; ".join(format_validation_error(exc))) from None

    def understand(self, kb: KnowledgeBase, question: str, candidates: list[str], vectors: Any = None,
                   text: QuestionText | None = None) -> tuple[QuestionUnderstanding, dict[str, float], dict[str, float]]:
        """The understanding, P(type) for every type, and a focus score (0..1) for each topic the question
        names (nlp_service.qa.focus): among the topics named word for word and those of the retrieved
        candidates. ``vectors`` embed the question and, when some sentences ask, those sentences."""
        text = text or QuestionText(question)
        asked = text.asking_text()
        if vectors is None:
            vectors = self.encoder.encode([question, asked] if asked else [question])
        model = kb.qtype_model
        proba = model.proba_from_vectors(vectors) if hasattr(model, "proba_from_vectors") \
            else model.predict_proba([question, asked] if asked else [question])
        mixed = (1 - ASKING_TYPE) * proba[0] + ASKING_TYPE * proba[1] if len(proba) > 1 else proba[0]
        types = {c: float(p) for c, p in zip(model.classes, mixed, strict=True)}
        qtype = max(types, key=types.__getitem__)
        order = [*kb.named_topics(question), *(kb.entries[key].focus for key in candidates)]
        names = {topic: [(e := kb.entries[kb.by_focus[normalise(topic)][0]]).focus, *e.synonyms]
                 for topic in dict.fromkeys(order)}
        text.match(w for forms in names.values() for name in forms for w in words(name))
        found = {}
        for rank, (topic, forms) in enumerate(names.items()):
            m = best_mention(text, forms, kb.focus_weight)
            if m.share >= FOCUS_MIN:
                found[topic] = (m, rank)
        heaviest = max((m.mass for m, _ in found.values()), default=1.0) or 1.0
        # a named topic's score: its share, scaled by its weight against the heaviest named topic (a rare
        # disease's name outweighs a common symptom's); earlier retrieval breaks ties. (Raising topics named
        # in the sentences that ask, or named more than once, did not help on the dev questions.)
        topics = {topic: max(0.0, m.share * m.mass / heaviest - 1e-6 * rank) for topic, (m, rank) in found.items()}
        focus, focus_source = None, None
        top_topic = max(topics, key=topics.__getitem__, default=None)
        if top_topic is not None:
            focus, focus_source = top_topic, "kb"
        elif self._entities:
            mentioned = self._entities(question)
            if mentioned:
                focus, focus_source = mentioned[0], "records"
        if focus:
            short = self._rules["short_forms"][qtype].format(focus=focus)
        else:
            sentences = [s.strip() for s in question.replace("\n", " ").split("?") if s.strip()]
            short = (sentences[-1] if question.rstrip().endswith("?") and sentences else question)[:300]
        parsed = QuestionUnderstanding(focus=focus, focus_source=focus_source, qtype=qtype,
                                       qtype_confidence=round(types[qtype], 4), short_form=short)
        return parsed, types, topics

    def _retrieve(self, kb: KnowledgeBase, queries: list[str], mode: str,
                  vectors: Any = None) -> tuple[dict[str, float], dict[str, tuple[int, int, str]]]:
        n = self.settings.candidates
        rankings: list[list[str]] = []
        passages: dict[str, tuple[int, int, str]] = {}
        if mode != "lexical" and vectors is None:
            vectors = self.encoder.encode(queries)
        for i, query in enumerate(queries):
            for collection in (kb.questions, kb.answers):
                scored = []
                if mode != "lexical":
                    scored.append(collection.dense_search(vectors[i:i + 1], n, None))
                if mode != "dense":
                    scored.append(collection.lexical_search(query, n, None))
                for hits in scored:
                    order, best = store.record_ranking(collection, hits)
                    rankings.append(order)
                    if collection is kb.answers:
                        for rid, passage in best.items():
                            passages.setdefault(rid, passage)
        return store.rrf(rankings, self.settings.rrf_k), passages

    def rank(self, kb: KnowledgeBase, question: str, mode: str = "hybrid", rerank: bool = True,
             understanding: bool = True) -> tuple[list[str], dict[str, float], dict[str, tuple[int, int, str]], QuestionUnderstanding]:
        """KB entry ids best first, their scores, the best answer passages, and the understanding.
        ``mode``, ``rerank`` and ``understanding`` switch stages off for evaluation (the ablation table in
        benchmarks/RESULTS.md); the service runs with all of them on."""
        text = QuestionText(question)
        asked = text.asking_text()
        vectors = self.encoder.encode([question, asked] if asked else [question])
        fused, passages = self._retrieve(kb, [question], mode, vectors[:1])
        ranked = sorted(fused, key=lambda c: -fused[c])
        parsed, types, topics = self.understand(kb, question, ranked[: self.settings.candidates], vectors, text)
        scores = dict(fused)
        if understanding:
            # every pair about a topic the question names is a candidate (entailment: same focus, same type)
            for topic in topics:
                for key in kb.by_focus.get(normalise(topic), ()):
                    fused.setdefault(key, 0.0)
            top = max(fused.values(), default=0.0) or 1.0
            # in 0..1: how well the question names the pair's topic, P(the pair's type), fused retrieval
            scores = {key: (topics.get(kb.entries[key].focus, 0.0) + types.get(kb.entries[key].qtype, 0.0) + 0.5 * value / top) / 2.5
                      for key, value in fused.items()}
        ranked = sorted(scores, key=lambda c: -scores[c])
        if rerank and ranked:
            head = ranked[: self.settings.rerank_top]
            query = parsed.short_form if understanding and RERANK_SHORT_FORM and parsed.focus_source == "kb" else question
            probs = self.reranker.score(query, [kb.entries[c] for c in head], kb.heldout)
            prior = scores
            scores = {c: float(p) for c, p in zip(head, probs, strict=True)}
            if understanding:  # the re-ranker breaks the understanding's near-ties, it does not overrule it
                ranked = sorted(head, key=lambda c: -(prior[c] + RERANK_WEIGHT * scores[c])) + ranked[len(head):]
            else:
                ranked = sorted(head, key=lambda c: -scores[c]) + ranked[len(head):]
        return ranked, scores, passages, parsed

    def answer(self, request: QARequest | dict[str, Any]) -> QAResult:
        started = time.perf_counter()
        req = self._request(request)
        if not 1 <= req.k <= self.settings.max_k:
            raise Errors.K_OUT_OF_RANGE.error(limit=self.settings.max_k, k=req.k)
        question = check_text(req.question, self.settings.max_question_chars, field="question", allow_empty=False)
        kb = self.kb(req.kb or self.settings.default_kb)
        rerank = self.settings.rerank
        ranked, scores, passages, parsed = self.rank(kb, question, rerank=rerank)
        # abstain when the question names no topic of the KB, or when the re-ranker doubts the best pair
        named = parsed.focus is not None and parsed.focus_source == "kb"
        confidence = scores[ranked[0]] if ranked and rerank else (1.0 if ranked and named else 0.0)
        abstain = not ranked or not named or confidence < self.settings.abstain_threshold
        flags = red_flags(question)
        answers = [] if abstain else [self._answer(kb, c, scores[c], passages.get(c)) for c in ranked[: req.k]]
        topics = list(dict.fromkeys(kb.entries[c].focus for c in ranked))[:5] if abstain else []
        emergency = self._rules["emergency_notice"].format(flags=", ".join(f.name for f in flags)) if flags else None
        return QAResult(
            kb=kb.name, question_understanding=parsed, emergency=emergency,
            red_flags=[RedFlagHit(rule=f.rule, name=f.name, text=f.text, begin=f.begin, end=f.end) for f in flags],
            abstained=abstain, answers=answers, nearest_topics=topics,
            notice=self._rules["abstain_notice"] + " " + self._rules["notice"] if abstain else self._rules["notice"],
            reranked=rerank, latency_ms=round((time.perf_counter() - started) * 1000, 2), version=__version__,
        )

    @staticmethod
    def _answer(kb: KnowledgeBase, key: str, score: float, passage: tuple[int, int, str] | None) -> QAAnswer:
        entry = kb.entries[key]
        if passage is None:
            end = min(len(entry.answer), 600)
            passage = (0, end, entry.answer[:end])
        begin, end, text = passage
        return QAAnswer(id=entry.id, qid=entry.qid, question=entry.question, answer=entry.answer,
                        passage=Passage(text=text, begin=begin, end=end), source=entry.source, url=entry.url,
                        focus=entry.focus, qtype=entry.qtype, score=round(score, 4))

"""A built knowledge base: its entries, question and answer collections, question-type model and
focus vocabulary, opened once and verified (see nlp_service.qa.kb for the folder layout)."""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import Errors
from ..schemas import KBEntry, SearchRecord
from ..search import collection as collections
from ..search.collection import Collection
from .focus import fold, words
from .kb import iter_entries

INDEX_FORMAT = 1
_NORMAL = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case, accents off, punctuation to single spaces: "Parkinson's disease" -> "parkinson s disease",
    "Behçet disease" -> "behcet disease"."""
    return _NORMAL.sub(" ", fold(text)).strip()


@dataclass
class KnowledgeBase:
    name: str
    path: Path
    entries: dict[str, KBEntry]
    heldout: set[str]
    questions: Collection
    answers: Collection
    qtype_model: Any
    manifest: dict[str, Any]
    by_focus: dict[str, list[str]] = field(default_factory=dict)  # normalised focus -> entry ids
    text_df: Counter[str] = field(default_factory=Counter)  # word -> how many entries' question or answer hold it

    names: dict[str, str] = field(default_factory=dict)  # normalised focus or synonym -> the focus

    def __post_init__(self) -> None:
        for key, entry in self.entries.items():
            self.by_focus.setdefault(normalise(entry.focus), []).append(key)
        for entry in self.entries.values():  # about 1 s for MedQuAD's 16,361 pairs, once per process
            self.text_df.update(set(words(entry.question)) | set(words(entry.answer)))
        for entry in self.entries.values():
            for name in (entry.focus, *entry.synonyms):
                key = normalise(name)
                if key and len(key) >= 4:
                    self.names.setdefault(key, entry.focus)

    def named_topics(self, question: str, longest: int = 8) -> list[str]:
        """Topics (foci) whose name or synonym appears word for word in the question, longest first."""
        tokens = normalise(question).split()
        found: dict[str, int] = {}
        for n in range(min(longest, len(tokens)), 0, -1):
            for i in range(len(tokens) - n + 1):
                topic = self.names.get(" ".join(tokens[i:i + n]))
                if topic is not None and topic not in found:
                    found[topic] = n
        return sorted(found, key=lambda t: -found[t])

    def focus_weight(self, word: str) -> float:
        """How telling it is that a question holds ``word``: its inverse document frequency over the KB's
        questions and answers, so that words of everyday medical prose ("high", "blood", "disease") weigh
        little and a rare disease's name ("salcedo", "priapism") much. On the dev questions this chose
        the right focus more often than the frequency over topic names alone (0.756 against 0.719)."""
        return math.log((1 + len(self.entries)) / (1 + self.text_df.get(word, 0))) + 0.1

    @classmethod
    def open(cls, path: Path) -> KnowledgeBase:
        from ..triage.models import TextClassifier

        index = path / "index"
        manifest_path = index / "kb.json"
        if not manifest_path.is_file():
            raise Errors.KB_NOT_BUILT.error(name=path.name)
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = {e.id: e for e in iter_entries(path / "entries.jsonl")}
        if len(entries) != manifest["entries"]:
            raise Errors.INDEX_CORRUPT.error(path=str(index), reason=f"it was built from {manifest['entries']} entries and the KB has {len(entries)}")
        heldout = set(json.loads((path / "heldout.json").read_text(encoding="utf-8"))) if (path / "heldout.json").is_file() else set()
        return cls(path.name, path, entries, heldout, Collection.open(index / "questions"), Collection.open(index / "answers"),
                   TextClassifier.load(index / "qtype"), manifest)

    def close(self) -> None:
        self.questions.close()
        self.answers.close()


def build(path: Path, encoder: Any, passage_chars: int, exact_threshold: int, seed: int = 13, qtype_model: str = "head") -> dict[str, Any]:
    """Build the index of the KB at ``path`` (entries.jsonl) in a temporary folder, then swap it in."""
    started = time.perf_counter()
    entries = list(iter_entries(path / "entries.jsonl"))
    heldout = set(json.loads((path / "heldout.json").read_text(encoding="utf-8"))) if (path / "heldout.json").is_file() else set()
    work = path / ".index.tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    kinds = train_qtype(entries, heldout, work / "qtype", seed, path / "entries.jsonl", qtype_model)  # first: fails fast on bad labels
    meta = [{"qtype": e.qtype, "focus": normalise(e.focus), "source": e.source} for e in entries]
    asked = [SearchRecord(id=e.id, text=e.question, metadata=m) for e, m in zip(entries, meta, strict=True) if e.id not in heldout]
    t = time.perf_counter()
    collections.build(work / "questions", "questions", asked, encoder, passage_chars, exact_threshold).close()
    questions_s = time.perf_counter() - t
    t = time.perf_counter()
    answered = [SearchRecord(id=e.id, text=e.answer, metadata=m) for e, m in zip(entries, meta, strict=True)]
    collections.build(work / "answers", "answers", answered, encoder, passage_chars, exact_threshold).close()
    answers_s = time.perf_counter() - t
    manifest = {"format": INDEX_FORMAT, "name": path.name, "entries": len(entries), "heldout": len(heldout & {e.id for e in entries}),
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"), "encoder": encoder.description,
                "sources": dict(Counter(e.source for e in entries).most_common()), "qtypes": dict(kinds.most_common()),
                "seconds": {"questions": round(questions_s, 1), "answers": round(answers_s, 1), "total": 0.0}}
    manifest["seconds"]["total"] = round(time.perf_counter() - started, 1)
    (work / "kb.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    old = path / ".index.old"
    shutil.rmtree(old, ignore_errors=True)
    if (path / "index").exists():
        (path / "index").rename(old)
    work.rename(path / "index")
    shutil.rmtree(old, ignore_errors=True)
    return manifest


def train_qtype(entries: list[KBEntry], heldout: set[str], out: Path, seed: int, source: Path, model: str = "head") -> Counter[str]:
    """The question-type classifier, from the triage machinery, trained on the KB's own questions
    (held-out ones left out), each also rewritten once in a patient's words. ``head`` (MiniLM
    embeddings + a trained head) is the default: on the default KB's hand-written questions, an
    independent check, it typed 71% right when trained on MedQuAD, against 61% for the linear SVM and
    58% for Naive Bayes."""
    import random

    from ..triage.models import make_model
    from .rerank import patient_forms

    rng = random.Random(seed)
    kept = [e for e in entries if e.id not in heldout]
    texts = [e.question for e in kept] + [patient_forms(e, rng) for e in kept]
    labels = [e.qtype for e in kept] * 2
    kinds = Counter(e.qtype for e in kept)
    if len(kinds) < 2:
        raise Errors.INVALID_DATA.error(path=str(source), reason="every entry has the same question type; a KB needs at least two")
    classifier = make_model(model, seed=seed)
    classifier.fit(texts, labels)
    classifier.save(out)
    return kinds


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def rrf(rankings: list[list[str]], k: int) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused


def record_ranking(collection: Collection, scored: list[tuple[int, float]]) -> tuple[list[str], dict[str, tuple[int, int, str]]]:
    """Passage hits -> record ids in rank order (each once, at its best passage), and the best passage."""
    info = collection.passage_records([pid for pid, _ in scored])
    order: list[str] = []
    best: dict[str, tuple[int, int, str]] = {}
    for pid, _score in scored:
        if pid not in info:
            continue
        record_id, _meta, begin, end, text = info[pid]
        if record_id not in best:
            best[record_id] = (begin, end, text)
            order.append(record_id)
    return order, best


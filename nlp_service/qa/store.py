"""A built knowledge base: its entries, question and answer collections, question-type model and
focus vocabulary, opened once and verified (see nlp_service.qa.kb for the folder layout)."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import Errors
from ..schemas import KBEntry, SearchRecord
from ..search import collection as collections
from ..search.collection import Collection
from .kb import iter_entries

INDEX_FORMAT = 1
_NORMAL = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case, punctuation to single spaces: "Parkinson's disease" -> "parkinson s disease"."""
    return _NORMAL.sub(" ", text.lower()).strip()


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


def build(path: Path, encoder: Any, passage_chars: int, exact_threshold: int, seed: int = 13) -> dict[str, Any]:
    """Build the index of the KB at ``path`` (entries.jsonl) in a temporary folder, then swap it in."""
    from ..triage.models import make_model

    started = time.perf_counter()
    entries = list(iter_entries(path / "entries.jsonl"))
    heldout = set(json.loads((path / "heldout.json").read_text(encoding="utf-8"))) if (path / "heldout.json").is_file() else set()
    work = path / ".index.tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    meta = [{"qtype": e.qtype, "focus": normalise(e.focus), "source": e.source} for e in entries]
    asked = [SearchRecord(id=e.id, text=e.question, metadata=m) for e, m in zip(entries, meta, strict=True) if e.id not in heldout]
    t = time.perf_counter()
    collections.build(work / "questions", "questions", asked, encoder, passage_chars, exact_threshold).close()
    questions_s = time.perf_counter() - t
    t = time.perf_counter()
    answered = [SearchRecord(id=e.id, text=e.answer, metadata=m) for e, m in zip(entries, meta, strict=True)]
    collections.build(work / "answers", "answers", answered, encoder, passage_chars, exact_threshold).close()
    answers_s = time.perf_counter() - t
    # the question-type classifier: a linear SVM from the triage machinery, on this KB's own questions
    texts = [e.question for e in entries if e.id not in heldout]
    labels = [e.qtype for e in entries if e.id not in heldout]
    kinds = Counter(labels)
    if len(kinds) < 2:
        raise Errors.INVALID_DATA.error(path=str(path / "entries.jsonl"), reason="every entry has the same question type; a KB needs at least two")
    qtype = make_model("svm", seed=seed)
    qtype.fit(texts, labels)
    qtype.save(work / "qtype")
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


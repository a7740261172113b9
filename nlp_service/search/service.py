"""Similar-record search over named collections: build, add, delete, list, search.

The service knows nothing of Flask or argparse: the CLI and the HTTP blueprint both call it and
share its schemas (:class:`~nlp_service.schemas.SearchRequest` and friends).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..config import EmbeddingSettings, SearchSettings, format_validation_error
from ..errors import Errors
from ..schemas import (
    BuildReport,
    IndexInfo,
    Passage,
    SearchHit,
    SearchRecord,
    SearchRequest,
    SearchResult,
)
from ..validation import check_text
from ..version import __version__
from .collection import Collection, build, check_name

log = logging.getLogger("nlp_service.search")


def read_records(lines: Iterable[str | bytes], max_chars: int) -> Iterator[tuple[int, SearchRecord | None, str]]:
    """Parse JSONL records: yields (line number, record or None, why it was skipped). Blank lines
    are ignored; a bad line never stops the others."""
    for number, raw in enumerate(lines, start=1):
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            yield number, None, f"not UTF-8 ({exc.reason} at byte {exc.start})"
            continue
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(data, dict):
            yield number, None, f"expected a JSON object, got {type(data).__name__}"
            continue
        try:
            record = SearchRecord.model_validate(data)
        except ValidationError as exc:
            yield number, None, "; ".join(format_validation_error(exc))
            continue
        if not record.text.strip():
            yield number, None, "text is empty"
            continue
        try:
            check_text(record.text, max_chars)
        except Exception as exc:  # noqa: BLE001 - reported per line
            yield number, None, getattr(exc, "detail", str(exc))
            continue
        yield number, record, ""


class SearchService:
    """Named record collections under ``settings.data_dir``; opened collections are cached and
    reopened when another process changes them."""

    def __init__(self, settings: SearchSettings, embeddings: EmbeddingSettings | None = None) -> None:
        self.settings = settings
        self.embeddings = embeddings or EmbeddingSettings()
        self.root = Path(settings.data_dir)
        self._open: dict[str, tuple[float, Collection]] = {}
        self._lock = threading.RLock()
        self._encoder = None

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            from ..embeddings import get_encoder

            self._encoder = get_encoder(self.embeddings.backend, self.embeddings.cache_dir)
        return self._encoder

    # -- collections -----------------------------------------------------------------------------
    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "collection.json").is_file() and not p.name.startswith("."))

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def collection(self, name: str) -> Collection:
        path = self._path(name)
        if not path.is_dir():
            raise Errors.UNKNOWN_INDEX.error(name=name, available=", ".join(self.names()) or "none")
        manifest = path / "collection.json"
        stamp = manifest.stat().st_mtime_ns if manifest.is_file() else -1
        with self._lock:
            cached = self._open.get(name)
            if cached and cached[0] == stamp:
                return cached[1]
            collection = Collection.open(path)  # E304 when damaged
            if cached:
                cached[1].close()
            self._open[name] = (stamp, collection)
            return collection

    def info(self, name: str) -> IndexInfo:
        c = self.collection(name)
        m = c.manifest
        encoder = json.loads(m["encoder"]) if m["encoder"].startswith("{") else {"name": m["encoder"]}
        return IndexInfo(name=name, records=m["records"], passages=m["passages"], vector_index=c.dense.kind,
                         encoder=", ".join(f"{k}={v}" for k, v in encoder.items()), created=m["created"],
                         updated=m["updated"])

    def list(self) -> list[IndexInfo]:
        out = []
        for name in self.names():
            try:
                out.append(self.info(name))
            except Exception:  # noqa: BLE001 - a damaged collection is listed by `info`, not hidden silently
                log.warning("index cannot be opened", extra={"index": name})
        return out

    # -- changes ---------------------------------------------------------------------------------
    def _parse(self, lines: Iterable[str | bytes], source: str) -> tuple[list[SearchRecord], list[dict[str, Any]]]:
        records: dict[str, SearchRecord] = {}
        skipped: list[dict[str, Any]] = []
        count = 0
        for number, record, why in read_records(lines, self.settings.max_record_chars):
            count += 1
            if record is None:
                skipped.append({"line": number, "reason": why})
            elif record.id in records:
                skipped.append({"line": number, "reason": f"duplicate id {record.id!r} (the first one is kept)"})
            else:
                records[record.id] = record
        if not records:
            reason = skipped[0]["reason"] if skipped else "the input is empty"
            raise Errors.INVALID_RECORDS.error(path=source, count=count, reason=reason,
                                               errors=[{"field": f"line {s['line']}", "message": s["reason"]} for s in skipped[:50]])
        return list(records.values()), skipped

    def build(self, name: str, lines: Iterable[str | bytes], source: str = "input", replace: bool = False) -> BuildReport:
        path = self._path(name)
        if path.exists() and not replace:
            raise Errors.INDEX_EXISTS.error(name=name)
        started = time.perf_counter()
        records, skipped = self._parse(lines, source)
        with self._lock:
            collection = build(path, name, records, self.encoder, self.settings.passage_chars,
                               self.settings.exact_threshold)
            old = self._open.pop(name, None)
            if old:
                old[1].close()
            collection.close()
        info = self.info(name)
        return BuildReport(name=name, added=len(records), skipped=skipped, records=info.records, passages=info.passages,
                           seconds=round(time.perf_counter() - started, 3))

    def add(self, name: str, lines: Iterable[str | bytes], source: str = "input") -> BuildReport:
        started = time.perf_counter()
        collection = self.collection(name)
        records, skipped = self._parse(lines, source)
        added, replaced = collection.add(records, self.encoder, self.settings.passage_chars)
        info = self.info(name)
        return BuildReport(name=name, added=added, replaced=replaced, skipped=skipped, records=info.records,
                           passages=info.passages, seconds=round(time.perf_counter() - started, 3))

    def delete(self, name: str, ids: list[str]) -> int:
        return self.collection(name).delete(ids)

    def drop(self, name: str) -> None:
        import shutil

        path = self._path(name)
        if not path.is_dir():
            raise Errors.UNKNOWN_INDEX.error(name=name, available=", ".join(self.names()) or "none")
        with self._lock:
            old = self._open.pop(name, None)
            if old:
                old[1].close()
            shutil.rmtree(path)

    # -- search ----------------------------------------------------------------------------------
    def search(self, request: SearchRequest | dict[str, Any]) -> SearchResult:
        if isinstance(request, dict):
            try:
                request = SearchRequest.model_validate(request)
            except ValidationError as exc:
                problems = format_validation_error(exc)
                raise Errors.INVALID_REQUEST.error(summary="Invalid search request: " + "; ".join(problems)) from None
        s = self.settings
        if isinstance(request.k, bool) or not 1 <= request.k <= s.max_k:
            raise Errors.K_OUT_OF_RANGE.error(limit=s.max_k, k=request.k)
        if (request.query is None) == (request.record_id is None):
            raise Errors.INVALID_REQUEST.error(summary="Give exactly one of 'query' and 'record_id'.",
                                               errors=[{"field": "query", "message": "give query or record_id"}])
        collection = self.collection(request.index)
        allowed = collection.allowed_passages(request.filters)
        exclude_rid = None
        if request.record_id is not None:
            found = collection.record(request.record_id)
            if found is None:
                raise Errors.UNKNOWN_RECORD.error(index=request.index, id=request.record_id)
            exclude_rid, text = found
            query = text[: s.max_query_chars]
        else:
            if not request.query.strip():
                raise Errors.EMPTY_QUERY.error(what="query")
            query = check_text(request.query, s.max_query_chars, field="query")
        n = s.candidates
        dense = collection.dense_search(self.encoder.encode([query]), n, allowed) if request.mode != "lexical" else []
        lexical = collection.lexical_search(query, n, allowed) if request.mode != "dense" else []
        dense_rank = {pid: r for r, (pid, _s) in enumerate(dense, start=1)}
        lexical_rank = {pid: r for r, (pid, _s) in enumerate(lexical, start=1)}
        if request.mode == "hybrid":
            fused: dict[int, float] = {}
            for ranks in (dense_rank, lexical_rank):
                for pid, r in ranks.items():
                    fused[pid] = fused.get(pid, 0.0) + 1.0 / (s.rrf_k + r)
            scored = sorted(fused.items(), key=lambda x: -x[1])
        else:
            scored = dense if request.mode == "dense" else lexical
        info = collection.passage_records([pid for pid, _ in scored])
        hits: list[SearchHit] = []
        seen: set[str] = set()
        own = set(collection.passages_of(exclude_rid)) if exclude_rid is not None else set()
        for pid, score in scored:
            if pid in own or pid not in info:
                continue
            record_id, metadata, begin, end, text = info[pid]
            if record_id in seen:
                continue
            seen.add(record_id)
            hits.append(SearchHit(id=record_id, score=round(score, 6), rank=len(hits) + 1, metadata=json.loads(metadata),
                                  passage=Passage(text=text, begin=begin, end=end), dense_rank=dense_rank.get(pid),
                                  lexical_rank=lexical_rank.get(pid)))
            if len(hits) == request.k:
                break
        return SearchResult(index=request.index, mode=request.mode, k=request.k, hits=hits, version=__version__)

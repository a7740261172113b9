"""A searchable collection of records: passages, a dense index, a BM25 index, fused by rank.

On disk, one folder per collection under ``search.data_dir``::

    NAME/
      collection.json      name, format, encoder, counts, times, and the SHA-256 of the BM25 files
      records.sqlite       records (id, text, metadata) and passages (id, record, begin, end)
      vectors/             the dense index (nlp_service.search.vectors.VectorIndex, own manifest)
      bm25/                the bm25s index (arrays saved without pickle, vocabulary as JSON)

Records are split into passages of about ``passage_chars`` characters at sentence ends, so that a
hit can say which stretch of a long record matched. Every passage is embedded with the shared
encoder and indexed twice: dense (cosine, exact below a size threshold, HNSW above) and lexical
(BM25 with English stemming). A query retrieves ``candidates`` passages from each, fuses the two
rankings with reciprocal rank fusion (Cormack et al., SIGIR 2009), and returns each record once,
with its best passage. Metadata filters restrict both retrievers before ranking.

Opening a collection verifies every file (checksums, SQLite integrity, matching counts); a damaged
collection raises E304 and is never served. bm25s cannot add or delete documents, so its index is
rebuilt from the stored passages after every change (seconds for 100,000 passages).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..checksums import file_sha256 as _sha256
from ..errors import Errors, ServiceError
from ..schemas import MetadataValue, SearchRecord
from .vectors import VectorIndex

FORMAT = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*[A-Z][A-Za-z /&]{1,40}:)")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name.endswith((".old", ".tmp")):
        raise Errors.INVALID_REQUEST.error(
            summary=f"Invalid index name {name!r}: use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit.",
            errors=[{"field": "index", "message": "invalid index name"}],
        )
    return name


def passages(text: str, size: int) -> list[tuple[int, int]]:
    """(begin, end) of passages of about ``size`` characters, cut at sentence ends where possible;
    white space at their edges is left out. Every non-blank character is in exactly one passage."""
    cuts = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    out: list[tuple[int, int]] = []
    begin = 0
    for end in cuts[1:]:
        if end - begin >= size or end == len(text):
            # a single sentence longer than twice the size is cut at white space
            while end - begin > 2 * size:
                cut = text.rfind(" ", begin + size // 2, begin + size) if " " in text[begin + size // 2:begin + size] else begin + size
                out.append((begin, cut))
                begin = cut
            out.append((begin, end))
            begin = end
    trimmed = []
    for b, e in out:
        while b < e and text[b].isspace():
            b += 1
        while e > b and text[e - 1].isspace():
            e -= 1
        if e > b:
            trimmed.append((b, e))
    return trimmed




def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


class Collection:
    """One collection, open for search (thread-safe) and change (one writer at a time)."""

    def __init__(self, path: Path, manifest: dict[str, Any], db: sqlite3.Connection, dense: VectorIndex,
                 bm25: Any, bm25_ids: np.ndarray) -> None:
        self.path, self.manifest, self.db = path, manifest, db
        self.dense, self.bm25, self.bm25_ids = dense, bm25, bm25_ids
        self._lock = threading.RLock()

    @property
    def name(self) -> str:
        return self.manifest["name"]

    # -- create / open ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, name: str, encoder_description: str, exact_threshold: int) -> Collection:
        path.mkdir(parents=True)
        db = cls._connect(path / "records.sqlite")
        db.executescript(
            """
            CREATE TABLE records (rid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, text TEXT NOT NULL,
                                  metadata TEXT NOT NULL, added TEXT NOT NULL);
            CREATE TABLE passages (pid INTEGER PRIMARY KEY, rid INTEGER NOT NULL REFERENCES records(rid)
                                   ON DELETE CASCADE, begin INTEGER NOT NULL, end INTEGER NOT NULL);
            CREATE INDEX passages_rid ON passages(rid);
            CREATE TABLE meta (rid INTEGER NOT NULL REFERENCES records(rid) ON DELETE CASCADE, key TEXT NOT NULL,
                               value TEXT NOT NULL);
            CREATE INDEX meta_key ON meta(key, value);
            """
        )
        manifest = {"format": FORMAT, "name": name, "encoder": encoder_description, "created": _now(),
                    "updated": _now(), "records": 0, "passages": 0, "bm25_files": {}}
        dense = VectorIndex.create(path / "vectors", dimension=384, exact_threshold=exact_threshold)
        collection = cls(path, manifest, db, dense, None, np.zeros(0, dtype=np.int64))
        return collection

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA foreign_keys = ON")
        return db

    @classmethod
    def open(cls, path: Path) -> Collection:
        """Open and verify a collection (E304 when any part is missing, altered or inconsistent)."""
        try:
            manifest = json.loads((path / "collection.json").read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT:
                raise ValueError(f"format {manifest.get('format')!r}, expected {FORMAT}")
            if not (path / "records.sqlite").is_file():
                raise ValueError("records.sqlite is missing")
            db = cls._connect(path / "records.sqlite")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise ValueError("records.sqlite fails its integrity check")
            dense = VectorIndex.load(path / "vectors")
            n_passages = db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
            n_records = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
            if (n_records, n_passages) != (manifest["records"], manifest["passages"]) or len(dense) != n_passages:
                raise ValueError(f"counts do not match: {n_records} records and {n_passages} passages in SQLite, "
                                 f"{len(dense)} vectors, manifest says {manifest['records']} and {manifest['passages']}")
            bm25, bm25_ids = None, np.zeros(0, dtype=np.int64)
            if n_passages:
                for name, digest in manifest["bm25_files"].items():
                    file = path / "bm25" / name
                    if not file.is_file():
                        raise ValueError(f"bm25/{name} is missing")
                    if _sha256(file) != digest:
                        raise ValueError(f"bm25/{name} does not match its checksum")
                import bm25s

                bm25 = bm25s.BM25.load(str(path / "bm25"), allow_pickle=False, show_progress=False)
                bm25_ids = np.load(path / "bm25" / "passage_ids.npy", allow_pickle=False)
                if len(bm25_ids) != n_passages:
                    raise ValueError("the BM25 index does not cover every passage")
        except ServiceError as exc:
            if exc.code == "E304":
                raise
            raise Errors.INDEX_CORRUPT.error(path=str(path), reason=exc.detail) from exc
        except Exception as exc:  # noqa: BLE001 - any damage is reported the same way, never served
            raise Errors.INDEX_CORRUPT.error(path=str(path), reason=f"{type(exc).__name__}: {exc}") from exc
        return cls(path, manifest, db, dense, bm25, bm25_ids)

    # -- changes -----------------------------------------------------------------------------------
    def add(self, records: Sequence[SearchRecord], encoder: Any, passage_chars: int) -> tuple[int, int]:
        """Add records (a record whose id exists is replaced). Returns (added, replaced)."""
        with self._lock:
            db = self.db
            replaced_ids = [r.id for r in records
                            if db.execute("SELECT 1 FROM records WHERE id = ?", (r.id,)).fetchone()]
            if replaced_ids:
                self._delete(replaced_ids)
            next_rid = (db.execute("SELECT MAX(rid) FROM records").fetchone()[0] or 0) + 1
            next_pid = (db.execute("SELECT MAX(pid) FROM passages").fetchone()[0] or 0) + 1
            rows, prows, mrows, texts, pids = [], [], [], [], []
            for record in records:
                rid, next_rid = next_rid, next_rid + 1
                rows.append((rid, record.id, record.text, json.dumps(record.metadata, ensure_ascii=False), _now()))
                for key, value in record.metadata.items():
                    if value is not None:
                        mrows.append((rid, key, json.dumps(value)))
                for b, e in passages(record.text, passage_chars):
                    prows.append((next_pid, rid, b, e))
                    texts.append(record.text[b:e])
                    pids.append(next_pid)
                    next_pid += 1
            vectors = encoder.encode(texts) if texts else np.zeros((0, 384), dtype=np.float32)
            db.execute("BEGIN")
            try:
                db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?)", rows)
                db.executemany("INSERT INTO passages VALUES (?, ?, ?, ?)", prows)
                db.executemany("INSERT INTO meta VALUES (?, ?, ?)", mrows)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if len(pids):
                self.dense.add(np.asarray(pids, dtype=np.int64), vectors)
            self._commit()
            return len(records) - len(replaced_ids), len(replaced_ids)

    def delete(self, ids: Iterable[str]) -> int:
        with self._lock:
            removed = self._delete(list(ids))
            if removed:
                self._commit()
            return removed

    def _delete(self, ids: list[str]) -> int:
        db = self.db
        removed = 0
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            marks = ",".join("?" * len(part))
            rids = [r[0] for r in db.execute(f"SELECT rid FROM records WHERE id IN ({marks})", part)]
            if not rids:
                continue
            rmarks = ",".join("?" * len(rids))
            pids = [p[0] for p in db.execute(f"SELECT pid FROM passages WHERE rid IN ({rmarks})", rids)]
            db.execute(f"DELETE FROM records WHERE rid IN ({rmarks})", rids)
            self.dense.delete(pids)
            removed += len(rids)
        return removed

    def _commit(self) -> None:
        """Rebuild BM25 from the stored passages, save the dense index, then the manifest."""
        import bm25s

        db = self.db
        pid_rows = db.execute(
            "SELECT p.pid, substr(r.text, p.begin + 1, p.end - p.begin) FROM passages p JOIN records r USING (rid) "
            "ORDER BY p.pid").fetchall()
        work = Path(tempfile.mkdtemp(prefix=".bm25-", dir=self.path))
        files: dict[str, str] = {}
        if pid_rows:
            tokens = bm25s.tokenize([t for _p, t in pid_rows], stopwords="en", stemmer=_stemmer(), show_progress=False)
            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
            bm25.save(str(work), allow_pickle=False, show_progress=False)
            ids = np.asarray([p for p, _t in pid_rows], dtype=np.int64)
            np.save(work / "passage_ids.npy", ids, allow_pickle=False)
            files = {f.name: _sha256(f) for f in sorted(work.iterdir()) if f.is_file()}
        else:
            bm25, ids = None, np.zeros(0, dtype=np.int64)
        target = self.path / "bm25"
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
        self.bm25, self.bm25_ids = bm25, ids
        self.dense.save()
        self.manifest.update(
            records=db.execute("SELECT COUNT(*) FROM records").fetchone()[0], passages=len(pid_rows),
            updated=_now(), bm25_files=files,
        )
        tmp = self.path / "collection.json.tmp"
        tmp.write_text(json.dumps(self.manifest, indent=2), encoding="utf-8")
        tmp.replace(self.path / "collection.json")

    # -- reads -----------------------------------------------------------------------------------
    def record(self, record_id: str) -> tuple[int, str] | None:
        row = self.db.execute("SELECT rid, text FROM records WHERE id = ?", (record_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def allowed_passages(self, filters: dict[str, MetadataValue | list[MetadataValue]]) -> np.ndarray | None:
        """Passage ids whose record matches every filter (None when there are no filters)."""
        if not filters:
            return None
        sql = "SELECT pid FROM passages WHERE rid IN (SELECT rid FROM records"
        clauses, params = [], []
        for key, value in filters.items():
            values = value if isinstance(value, list) else [value]
            if not values:
                raise Errors.INVALID_FILTER.error(key=key, reason="an empty list matches nothing")
            marks = ",".join("?" * len(values))
            clauses.append(f"rid IN (SELECT rid FROM meta WHERE key = ? AND value IN ({marks}))")
            params += [key, *(json.dumps(v) for v in values)]
        sql += " WHERE " + " AND ".join(clauses) + ")"
        with self._lock:
            return np.asarray([r[0] for r in self.db.execute(sql, params)], dtype=np.int64)

    def dense_search(self, vector: np.ndarray, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        scores, ids = self.dense.search(vector, n, allowed)
        return [(int(i), float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]

    def lexical_search(self, query: str, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        import bm25s

        with self._lock:
            bm25, ids = self.bm25, self.bm25_ids
        if bm25 is None or not len(ids):
            return []
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_stemmer(), show_progress=False, return_ids=False)
        if not tokens[0]:
            return []
        mask = None
        if allowed is not None:
            mask = np.isin(ids, allowed).astype(np.float32)
            if not mask.any():
                return []
        vocab = bm25.vocab_dict
        known = [t for t in tokens[0] if t in vocab]
        if not known:
            return []
        docs, scores = bm25.retrieve([known], k=min(n, len(ids)), show_progress=False, weight_mask=mask, n_threads=0)
        return [(int(ids[d]), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def passage_records(self, pids: Sequence[int]) -> dict[int, tuple[str, str, int, int, str]]:
        """pid -> (record id, metadata JSON, begin, end, passage text)."""
        if not pids:
            return {}
        marks = ",".join("?" * len(pids))
        rows = self.db.execute(
            f"SELECT p.pid, r.id, r.metadata, p.begin, p.end, substr(r.text, p.begin + 1, p.end - p.begin) "
            f"FROM passages p JOIN records r USING (rid) WHERE p.pid IN ({marks})", list(pids)).fetchall()
        return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}

    def passages_of(self, rid: int) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT pid FROM passages WHERE rid = ? ORDER BY pid", (rid,))]

    def close(self) -> None:
        self.db.close()


def build(path: Path, name: str, records: Sequence[SearchRecord], encoder: Any, passage_chars: int,
          exact_threshold: int) -> Collection:
    """Build a new collection in a temporary folder and move it into place (atomic for readers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", suffix=".tmp", dir=path.parent))
    try:
        collection = Collection.create(work / "c", name, json.dumps(encoder.description, sort_keys=True), exact_threshold)
        collection.add(records, encoder, passage_chars)
        collection.close()
        old = None
        if path.exists():
            old = path.with_name(f".{name}.old")
            if old.exists():
                shutil.rmtree(old)
            path.rename(old)
        (work / "c").rename(path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Collection.open(path)

"""A persistent vector index: exact search while small, HNSW (hnswlib) above a size threshold.

hnswlib was chosen by measurement (benchmarks/index_compare.py, RESULTS.md): at 100,000 MiniLM
vectors on the reference 2-core machine it built fastest and answered the most queries per second at
the same recall as FAISS HNSW and usearch; it supports deletion (``mark_deleted``) and saves to its
own binary format (no pickle).

On disk, a folder: ``vectors.npy`` and ``ids.npy`` (every live vector and its 64-bit id, the source
of truth: exact search reads them, and the graph is rebuilt from them), ``hnsw.bin`` (the graph, only
above ``exact_threshold``) and ``manifest.json`` (dimension, count, kind, parameters and the SHA-256
of every file). Loading checks all of it: a missing, truncated or altered file is an error (E304),
never a silently wrong answer.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..checksums import file_sha256 as _sha256
from ..errors import Errors

FORMAT = 1




class VectorIndex:
    """Unit vectors with int64 ids; inner-product (cosine) search. Thread-safe."""

    def __init__(self, path: Path, dimension: int, exact_threshold: int = 20_000, m: int = 32,
                 ef_construction: int = 200, ef_search: int = 128) -> None:
        self.path = Path(path)
        self.dimension = dimension
        self.exact_threshold = exact_threshold
        self.m, self.ef_construction, self.ef_search = m, ef_construction, ef_search
        self.vectors = np.zeros((0, dimension), dtype=np.float32)
        self.ids = np.zeros((0,), dtype=np.int64)
        self._row: dict[int, int] = {}
        self._graph: Any = None
        self._lock = threading.RLock()

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, dimension: int, **params: Any) -> VectorIndex:
        return cls(path, dimension, **params)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """Load and verify a saved index (E304 when anything is missing or does not match)."""
        path = Path(path)
        manifest_path = path / "manifest.json"
        if not manifest_path.is_file():
            raise Errors.INDEX_CORRUPT.error(path=str(path), reason="manifest.json is missing")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT:
                raise ValueError(f"format {manifest.get('format')!r}, expected {FORMAT}")
            for name, digest in manifest["files"].items():
                file = path / name
                if not file.is_file():
                    raise ValueError(f"{name} is missing")
                if _sha256(file) != digest:
                    raise ValueError(f"{name} does not match its checksum")
            index = cls(path, manifest["dimension"], manifest["exact_threshold"], manifest["m"],
                        manifest["ef_construction"], manifest["ef_search"])
            index.vectors = np.load(path / "vectors.npy", allow_pickle=False)
            index.ids = np.load(path / "ids.npy", allow_pickle=False)
            if index.vectors.shape != (manifest["count"], manifest["dimension"]) or index.ids.shape != (manifest["count"],):
                raise ValueError("array shapes do not match the manifest")
            index._row = {int(i): r for r, i in enumerate(index.ids)}
            if manifest["kind"] == "hnsw":
                import hnswlib

                graph = hnswlib.Index(space="ip", dim=index.dimension)
                graph.load_index(str(path / "hnsw.bin"), max_elements=max(len(index.ids), 1))
                graph.set_ef(index.ef_search)
                if graph.get_current_count() - len(graph.get_ids_list()) > 0 or len(graph.get_ids_list()) < len(index.ids):
                    raise ValueError("the graph does not hold every vector")
                index._graph = graph
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise Errors.INDEX_CORRUPT.error(path=str(path), reason=str(exc)) from None
        return index

    # -- properties ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    @property
    def kind(self) -> str:
        return "hnsw" if self._graph is not None else "exact"

    # -- changes ---------------------------------------------------------------------------------
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add (or replace) vectors under their ids."""
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension or len(ids) != len(vectors):
            raise ValueError(f"expected ({len(ids)}, {self.dimension}) vectors, got {vectors.shape}")
        with self._lock:
            existing = [int(i) for i in ids if int(i) in self._row]
            if existing:
                self.delete(existing)
            start = len(self.ids)
            self.vectors = np.concatenate([self.vectors, vectors]) if len(self.vectors) else vectors.copy()
            self.ids = np.concatenate([self.ids, ids])
            for r, i in enumerate(ids, start=start):
                self._row[int(i)] = r
            if self._graph is not None:
                self._graph.resize_index(max(len(self.ids), self._graph.get_max_elements()))
                self._graph.add_items(vectors, ids)
            elif len(self.ids) >= self.exact_threshold:
                self._build_graph()

    def delete(self, ids: Any) -> int:
        """Remove vectors by id; returns how many were present."""
        with self._lock:
            rows = [self._row.pop(int(i)) for i in ids if int(i) in self._row]
            if not rows:
                return 0
            keep = np.ones(len(self.ids), dtype=bool)
            keep[rows] = False
            if self._graph is not None:
                for i in self.ids[~keep]:
                    self._graph.mark_deleted(int(i))
            self.vectors, self.ids = self.vectors[keep], self.ids[keep]
            self._row = {int(i): r for r, i in enumerate(self.ids)}
            if self._graph is not None and len(self.ids) < self.exact_threshold // 2:
                self._graph = None  # small again: exact search
            return len(rows)

    def _build_graph(self) -> None:
        import hnswlib

        graph = hnswlib.Index(space="ip", dim=self.dimension)
        graph.init_index(max_elements=max(len(self.ids), 1), M=self.m, ef_construction=self.ef_construction,
                         random_seed=7, allow_replace_deleted=False)
        graph.add_items(self.vectors, self.ids, num_threads=os.cpu_count() or 1)
        graph.set_ef(self.ef_search)
        self._graph = graph

    # -- search ----------------------------------------------------------------------------------
    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k), best first; ids are -1 where fewer than k exist.

        ``allowed``: only these ids may be returned (searched exactly when they are few).
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        n = len(queries)
        scores = np.full((n, k), -np.inf, dtype=np.float32)
        out = np.full((n, k), -1, dtype=np.int64)
        with self._lock:
            if not len(self.ids) or k <= 0:
                return scores, out
            rows = None
            if allowed is not None:
                rows = np.array(sorted(self._row[int(i)] for i in allowed if int(i) in self._row), dtype=np.int64)
                if not len(rows):
                    return scores, out
            if self._graph is None or (rows is not None and len(rows) <= self.exact_threshold):
                pool = self.vectors if rows is None else self.vectors[rows]
                pool_ids = self.ids if rows is None else self.ids[rows]
                sims = queries @ pool.T
                top = min(k, len(pool_ids))
                part = np.argpartition(-sims, top - 1, axis=1)[:, :top]
                for q in range(n):
                    order = part[q][np.argsort(-sims[q, part[q]], kind="stable")]
                    scores[q, :top] = sims[q, order]
                    out[q, :top] = pool_ids[order]
                return scores, out
            wanted = set(int(i) for i in allowed) if allowed is not None else None
            top = min(k, len(self.ids))
            self._graph.set_ef(max(self.ef_search, top))
            labels, distances = self._graph.knn_query(
                queries, k=top, filter=(lambda label: label in wanted) if wanted is not None else None
            )
            scores[:, :top] = 1.0 - distances  # hnswlib's "ip" distance is 1 - inner product
            out[:, :top] = labels
            return scores, out

    # -- persistence -----------------------------------------------------------------------------
    def save(self) -> None:
        """Write every file to a temporary folder, then swap it in (readers never see half an index)."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f".{self.path.name}-", dir=self.path.parent))
            np.save(work / "vectors.npy", self.vectors, allow_pickle=False)
            np.save(work / "ids.npy", self.ids, allow_pickle=False)
            files = ["vectors.npy", "ids.npy"]
            if self._graph is not None:
                self._graph.save_index(str(work / "hnsw.bin"))
                files.append("hnsw.bin")
            manifest = {
                "format": FORMAT, "kind": self.kind, "dimension": self.dimension, "count": len(self.ids),
                "exact_threshold": self.exact_threshold, "m": self.m, "ef_construction": self.ef_construction,
                "ef_search": self.ef_search, "library": "hnswlib" if self._graph is not None else "numpy",
                "files": {name: _sha256(work / name) for name in files},
            }
            (work / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            old = None
            if self.path.exists():
                old = self.path.with_name(f".{self.path.name}.old")
                if old.exists():
                    import shutil

                    shutil.rmtree(old)
                self.path.rename(old)
            work.rename(self.path)
            if old is not None:
                import shutil

                shutil.rmtree(old, ignore_errors=True)

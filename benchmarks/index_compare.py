"""FAISS, hnswlib and usearch on this machine: build time, queries/s and recall@10 against exact search.

Usage: python benchmarks/index_compare.py [--n 100000] [--queries 1000] [--write]

Vectors are real MiniLM embeddings of short medical texts: ICD-10-CM descriptions and inclusion terms
(simple-icd-10-cm) and, when ../shared/corpora/medquad is present, MedQuAD questions; they are cached
under benchmarks/.cache. Queries are held-out texts of the same kinds. Every library builds an HNSW
graph with the same parameters (M=32, efConstruction=200) and searches with ef=64 and ef=128; exact
search (FAISS IndexFlatIP, i.e. one matrix product) is the reference for recall. Queries run one at a
time (the service's case) on one thread, and in one batch on all threads.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / ".cache"
MEDQUAD = ROOT.parent / "shared" / "corpora" / "medquad"
M, EF_CONSTRUCTION, EFS = 32, 200, (64, 128)


def texts(limit: int) -> list[str]:
    import simple_icd_10_cm as cm

    out: list[str] = []
    for code in cm.get_all_codes(with_dots=True):
        if cm.is_chapter_or_block(code):
            continue
        out.append(cm.get_description(code))
        out.extend(cm.get_inclusion_term(code))
    if MEDQUAD.is_dir():
        for path in sorted(MEDQUAD.rglob("*.xml")):
            out.extend(q.strip() for q in re.findall(r"<Question[^>]*>(.*?)</Question>", path.read_text(encoding="utf-8"), re.S))
    seen, unique = set(), []
    for t in out:
        if t and t not in seen:
            seen.add(t)
            unique.append(t)
    rng = np.random.default_rng(7)
    rng.shuffle(unique)
    return unique[:limit]


def vectors(n: int, queries: int) -> tuple[np.ndarray, np.ndarray, int]:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"vectors_{n + queries}.npy"
    if path.exists():
        data = np.load(path, allow_pickle=False)
    else:
        from nlp_service.embeddings.encoder import get_encoder

        corpus = texts(n + queries)
        t0 = time.perf_counter()
        data = get_encoder().encode(corpus)
        print(f"encoded {len(corpus):,} texts in {time.perf_counter() - t0:.0f} s", flush=True)
        np.save(path, data, allow_pickle=False)
    total = min(len(data), n + queries)
    return data[: total - queries], data[total - queries : total], total - queries


def exact(base: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    scores = query @ base.T
    return np.argsort(-scores, axis=1)[:, :k]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def timed_single(search, query: np.ndarray) -> tuple[np.ndarray, float]:
    out = []
    t0 = time.perf_counter()
    for q in query:
        out.append(search(q[None, :]))
    return np.vstack(out), len(query) / (time.perf_counter() - t0)


def run_faiss(base, query, k, truth, threads):
    import faiss

    rows = []
    faiss.omp_set_num_threads(threads)
    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(base.shape[1])
    flat.add(base)
    build = time.perf_counter() - t0
    faiss.omp_set_num_threads(1)
    found, qps = timed_single(lambda q: flat.search(q, k)[1], query)
    rows.append(("faiss IndexFlatIP (exact)", build, "-", qps, recall(found, truth), _size_faiss(flat)))
    faiss.omp_set_num_threads(threads)
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(base.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = EF_CONSTRUCTION
    hnsw.add(base)
    build = time.perf_counter() - t0
    for ef in EFS:
        hnsw.hnsw.efSearch = ef
        faiss.omp_set_num_threads(1)
        found, qps = timed_single(lambda q: hnsw.search(q, k)[1], query)
        rows.append((f"faiss IndexHNSWFlat ef={ef}", build, ef, qps, recall(found, truth), _size_faiss(hnsw)))
    faiss.omp_set_num_threads(threads)
    return rows


def _size_faiss(index) -> int:
    import faiss

    with tempfile.NamedTemporaryFile() as fh:
        faiss.write_index(index, fh.name)
        return os.path.getsize(fh.name)


def run_hnswlib(base, query, k, truth, threads):
    import hnswlib

    rows = []
    t0 = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=base.shape[1])
    index.init_index(max_elements=len(base), M=M, ef_construction=EF_CONSTRUCTION, random_seed=7)
    index.add_items(base, np.arange(len(base)), num_threads=threads)
    build = time.perf_counter() - t0
    index.set_num_threads(1)
    with tempfile.NamedTemporaryFile() as fh:
        index.save_index(fh.name)
        size = os.path.getsize(fh.name)
    for ef in EFS:
        index.set_ef(ef)
        found, qps = timed_single(lambda q: index.knn_query(q, k=k)[0], query)
        rows.append((f"hnswlib ef={ef}", build, ef, qps, recall(found, truth), size))
    return rows


def run_usearch(base, query, k, truth, threads):
    from usearch.index import Index

    rows = []
    t0 = time.perf_counter()
    index = Index(ndim=base.shape[1], metric="ip", dtype="f32", connectivity=M, expansion_add=EF_CONSTRUCTION)
    index.add(np.arange(len(base)), base, threads=threads)
    build = time.perf_counter() - t0
    with tempfile.NamedTemporaryFile() as fh:
        index.save(fh.name)
        size = os.path.getsize(fh.name)
    for ef in EFS:
        index.expansion_search = ef
        found, qps = timed_single(lambda q: index.search(q[0], k, threads=1).keys, query)
        rows.append((f"usearch ef={ef}", build, ef, qps, recall(found, truth), size))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    base, query, n = vectors(args.n, args.queries)
    truth = exact(base, query, args.k)
    rows = []
    for runner in (run_faiss, run_hnswlib, run_usearch):
        rows += runner(base, query, args.k, truth, threads)
        print(rows[-1], flush=True)
    lines = [
        "## Vector index libraries at 100,000 vectors",
        "",
        f"Command: `python benchmarks/index_compare.py --n {args.n} --queries {args.queries} --write`  ",
        f"Machine: {platform.machine()}, {threads} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}  ",
        f"Data: {n:,} MiniLM vectors (384 dimensions, unit length) of ICD-10-CM descriptions, inclusion terms"
        f"{' and MedQuAD questions' if MEDQUAD.is_dir() else ''}; {len(query):,} held-out query vectors; recall@{args.k} "
        f"against exact search. HNSW: M={M}, efConstruction={EF_CONSTRUCTION}; builds on {threads} threads, "
        "queries one at a time on one thread.",
        "",
        "| index | build (s) | queries/s | recall@10 | file size (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, build, _ef, qps, rec, size in rows:
        lines.append(f"| {name} | {build:.1f} | {qps:,.0f} | {rec:.3f} | {size / 1e6:.0f} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section("index_compare", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The persistent vector index: exact below the threshold, HNSW above, add/delete, verified loading."""

from __future__ import annotations

import numpy as np
import pytest

from nlp_service.errors import ServiceError
from nlp_service.search.vectors import VectorIndex


def unit(rng, n, d=32):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute(vectors, ids, queries, k):
    sims = queries @ vectors.T
    return ids[np.argsort(-sims, axis=1)[:, :k]]


def test_small_index_is_exact(tmp_path):
    rng = np.random.default_rng(1)
    vectors, ids = unit(rng, 500), np.arange(1000, 1500)
    index = VectorIndex.create(tmp_path / "v", dimension=32, exact_threshold=1000)
    index.add(ids, vectors)
    queries = unit(rng, 20)
    scores, got = index.search(queries, 10)
    assert index.kind == "exact"
    assert (got == brute(vectors, ids, queries, 10)).all()
    assert (np.diff(scores, axis=1) <= 1e-6).all()


def test_large_index_switches_to_hnsw_with_high_recall(tmp_path):
    rng = np.random.default_rng(2)
    vectors, ids = unit(rng, 3000), np.arange(3000)
    index = VectorIndex.create(tmp_path / "v", dimension=32, exact_threshold=1000)
    index.add(ids[:500], vectors[:500])
    assert index.kind == "exact"
    index.add(ids[500:], vectors[500:])
    assert index.kind == "hnsw"
    queries = unit(rng, 100)
    _scores, got = index.search(queries, 10)
    truth = brute(vectors, ids, queries, 10)
    recall = np.mean([len(set(g) & set(t)) / 10 for g, t in zip(got, truth, strict=True)])
    assert recall >= 0.95


@pytest.mark.parametrize("threshold", [10_000, 100])
def test_delete_replace_and_filter(tmp_path, threshold):
    rng = np.random.default_rng(3)
    vectors, ids = unit(rng, 400), np.arange(400)
    index = VectorIndex.create(tmp_path / "v", dimension=32, exact_threshold=threshold)
    index.add(ids, vectors)
    assert index.delete([5, 6, 7, 9999]) == 3
    assert len(index) == 397
    _s, got = index.search(vectors[5:8], 5)
    assert not set(got.ravel()) & {5, 6, 7}
    index.add(np.array([10]), vectors[[200]])  # replace id 10 with another vector
    _s, got = index.search(vectors[[200]], 2)
    assert set(got[0]) == {10, 200}
    allowed = np.array([1, 2, 3])
    _s, got = index.search(vectors[[300]], 5, allowed=allowed)
    assert set(got[0][got[0] >= 0]) <= {1, 2, 3}


@pytest.mark.parametrize("threshold", [10_000, 100])
def test_save_and_load_round_trip(tmp_path, threshold):
    rng = np.random.default_rng(4)
    vectors, ids = unit(rng, 300), np.arange(300) * 7
    index = VectorIndex.create(tmp_path / "v", dimension=32, exact_threshold=threshold)
    index.add(ids, vectors)
    index.save()
    loaded = VectorIndex.load(tmp_path / "v")
    assert loaded.kind == index.kind and len(loaded) == 300
    queries = unit(rng, 10)
    assert (loaded.search(queries, 5)[1] == index.search(queries, 5)[1]).all()


@pytest.mark.parametrize("damage", ["truncate vectors", "remove ids", "remove manifest", "alter graph"])
def test_damaged_index_is_refused(tmp_path, damage):
    rng = np.random.default_rng(5)
    index = VectorIndex.create(tmp_path / "v", dimension=32, exact_threshold=100)
    index.add(np.arange(300), unit(rng, 300))
    index.save()
    path = tmp_path / "v"
    if damage == "truncate vectors":
        data = (path / "vectors.npy").read_bytes()
        (path / "vectors.npy").write_bytes(data[: len(data) // 2])
    elif damage == "remove ids":
        (path / "ids.npy").unlink()
    elif damage == "remove manifest":
        (path / "manifest.json").unlink()
    else:
        data = bytearray((path / "hnsw.bin").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (path / "hnsw.bin").write_bytes(bytes(data))
    with pytest.raises(ServiceError) as err:
        VectorIndex.load(path)
    assert err.value.code == "E304"

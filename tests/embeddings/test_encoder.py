"""The shared sentence encoder: batching, output contract, backends and their fidelity."""

from __future__ import annotations

import numpy as np
import pytest

from nlp_service.embeddings import DIMENSION, check_fidelity, get_encoder, make_batches
from nlp_service.embeddings.encoder import resolve_backend
from nlp_service.errors import ServiceError

SENTENCES = [
    "Patient denies chest pain or shortness of breath.",
    "Community acquired pneumonia, started on ceftriaxone and azithromycin.",
    "Left knee osteoarthritis, plan total knee arthroplasty.",
    "The weather in the mountains was cold and windy.",
    "Type 2 diabetes mellitus, A1c 8.2, increase metformin.",
    "No fever.",
    "Severe sepsis secondary to urinary tract infection with E. coli bacteremia, on broad spectrum antibiotics, "
    "lactate trending down, pressors weaned overnight, urine output adequate.",
]


@pytest.fixture(scope="module")
def encoder():
    return get_encoder("auto")


def test_batches_cover_every_text_once_and_respect_the_budget():
    rng = np.random.default_rng(0)
    ids = [list(range(int(n))) for n in rng.integers(1, 120, size=300)]
    batches = make_batches(ids, token_budget=1024, max_batch=32)
    seen = np.concatenate([b.order for b in batches])
    assert sorted(seen.tolist()) == list(range(300))
    for b in batches:
        assert b.input_ids.shape[0] <= 32
        assert b.input_ids.size <= 1024 or b.input_ids.shape[0] == 1
        # rows carry their own tokens, then padding the mask marks as such
        for row, i in enumerate(b.order):
            assert b.attention_mask[row].sum() == len(ids[i])
    padded = sum(b.input_ids.size for b in batches)
    naive = sum(32 * max(len(ids[i]) for i in range(s, min(s + 32, 300))) for s in range(0, 300, 32))
    assert padded < 0.7 * naive  # sorting by length removes most of the padding


def test_auto_picks_cuda_when_present_and_onnx_int8_on_cpu():
    import torch

    assert resolve_backend("auto") == ("torch" if torch.cuda.is_available() else "onnx-int8")
    with pytest.raises(ServiceError) as err:
        resolve_backend("tensorflow")
    assert err.value.code == "E301"


def test_vectors_are_unit_length_ordered_and_deterministic(encoder):
    vectors = encoder.encode(SENTENCES)
    assert vectors.shape == (len(SENTENCES), DIMENSION) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    reversed_vectors = encoder.encode(SENTENCES[::-1])
    assert np.allclose(reversed_vectors[::-1], vectors, atol=1e-5)  # batching by length keeps the caller's order
    assert encoder.encode([]).shape == (0, DIMENSION)


def test_similar_meaning_is_closer_than_unrelated_text(encoder):
    a, b, c = encoder.encode(["lung infection", "pneumonia", "the train was late"])
    assert a @ b > a @ c + 0.2


def test_onnx_int8_matches_fp32_torch_within_cosine_0_99():
    fidelity = check_fidelity(SENTENCES * 3, "onnx-int8")
    assert fidelity["min"] >= 0.99, fidelity

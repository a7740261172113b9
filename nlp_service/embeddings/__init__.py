"""Sentence embeddings: one encoder (all-MiniLM-L6-v2) shared by search, linking, QA and triage."""

from .encoder import (
    BACKENDS,
    DIMENSION,
    MODEL_NAME,
    Encoder,
    check_fidelity,
    get_encoder,
    make_batches,
)

__all__ = ["Encoder", "get_encoder", "check_fidelity", "make_batches", "BACKENDS", "DIMENSION", "MODEL_NAME"]

"""The learned tagger: deterministic training from gold folders, a loadable artifact, and findings."""

import json

import pytest

from nlp_service.errors import ServiceError
from nlp_service.phi.base import TextContext
from nlp_service.phi.tagger import (
    DEFAULT_MODEL_DIR,
    PhiTagger,
    TaggerRecognizer,
    token_labels,
    tokenize,
    train,
)

TEXT = ("Seen by Dr. Zabrowski on 3/4/21 at Quillfeather Clinic. Wife Odalys at bedside.\n"
        "Call Zabrowski back at 617-555-0199. Denies chest pain. Plan: continue metoprolol.\n")


SURFACES = [("Zabrowski", "NAME", 0), ("3/4/21", "DATE", 0), ("Quillfeather Clinic", "ORGANIZATION", 0),
            ("Odalys", "NAME", 0), ("Zabrowski", "NAME", 1), ("617-555-0199", "PHONE", 0)]


def _spans():
    spans = []
    for surface, kind, nth in SURFACES:
        at = -1
        for _ in range(nth + 1):
            at = TEXT.index(surface, at + 1)
        spans.append((at, at + len(surface), kind))
    return spans


def _gold(folder, n=12):
    folder.mkdir()
    for i in range(n):
        (folder / f"n{i}.txt").write_text(TEXT, encoding="utf-8")
        (folder / f"n{i}.json").write_text(json.dumps({"id": f"n{i}", "split": "dev", "entities": [], "phi": [
            {"type": k, "begin": b, "end": e} for b, e, k in _spans()]}), encoding="utf-8")
    return folder


def test_training_is_deterministic_and_the_artifact_is_complete(tmp_path):
    gold = _gold(tmp_path / "gold")
    a = train([gold], tmp_path / "a", split="dev", augment=1, seed=3, n_features=2**12, epochs=5)
    b = train([gold], tmp_path / "b", split="dev", augment=1, seed=3, n_features=2**12, epochs=5)
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()
    assert a["data_sha256"] == b["data_sha256"] and a["seed"] == 3
    assert {"O", "NAME", "DATE", "PHONE", "ORGANIZATION"} <= set(a["labels"])
    tagger = PhiTagger.load(tmp_path / "a")
    found = {(TEXT[b:e], kind) for b, e, kind, _ in tagger.spans(TEXT)}
    assert {("Zabrowski", "NAME"), ("Odalys", "NAME"), ("617-555-0199", "PHONE"), ("3/4/21", "DATE")} <= found
    assert not any("chest" in s or "metoprolol" in s for s, _ in found)


def test_labels_follow_gold_spans():
    tokens = tokenize("Dr. Ann Lee, 3/4")
    assert token_labels(tokens, [(4, 11, "NAME"), (13, 16, "DATE")]) == ["O", "O", "NAME", "NAME", "O", "DATE", "DATE", "DATE"]


def test_missing_model_names_the_command(tmp_path):
    with pytest.raises(ServiceError) as err:
        TaggerRecognizer(str(tmp_path / "nowhere")).ensure_loaded()
    assert err.value.code == "E303" and "nlp-service train phi-tagger" in err.value.detail


def test_shipped_model_loads_with_its_card():
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    assert config["model"] == "phi.tagger.v1" and config["data_sha256"]
    assert (DEFAULT_MODEL_DIR / "MODEL_CARD.md").read_text(encoding="utf-8").startswith("# phi.tagger.v1")
    recognizer = TaggerRecognizer()
    recognizer.ensure_loaded()
    text = "Daughter Marisela Quintanilla visited; she lives in Kayenta."
    findings = recognizer.analyze(TextContext(text))
    kinds = {text[f.begin : f.end]: f.type.value for f in findings}
    assert kinds.get("Marisela Quintanilla") == "NAME" or kinds.get("Quintanilla") == "NAME"
    assert all(0.5 <= f.score <= 0.8 for f in findings)

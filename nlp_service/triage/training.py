"""Train one classifier on a labelled file and write its artifact: weights, config, model card.

Deterministic for a seed: the split, the vectorisers and every torch model are seeded. The model card
records the data file's SHA-256, the labels and their counts, held-out metrics, library versions, the
seed and the command that rebuilds it.
"""

from __future__ import annotations

import contextlib
import json
import platform
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from .data import Dataset, load_dataset, split_indices
from .models import TextClassifier, make_model


def expected_calibration_error(proba: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    confidence, predicted = proba.max(axis=1), proba.argmax(axis=1)
    correct = predicted == truth
    ece = 0.0
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(ece)


def metrics(model: TextClassifier, texts: list[str], labels: list[str], urgent: str | None = None) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

    proba = model.predict_proba(texts)
    truth = np.array([model.classes.index(label) if label in model.classes else -1 for label in labels])
    predicted = proba.argmax(axis=1)
    out: dict[str, Any] = {
        "n": len(labels),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", labels=range(len(model.classes)), zero_division=0)), 4),
        "ece": round(expected_calibration_error(proba, truth), 4),
        "per_class_f1": {c: round(float(v), 4) for c, v in zip(model.classes, f1_score(
            truth, predicted, average=None, labels=range(len(model.classes)), zero_division=0), strict=True)},
        "confusion": confusion_matrix(truth, predicted, labels=range(len(model.classes))).tolist(),
    }
    if urgent is not None and urgent in model.classes:
        u = model.classes.index(urgent)
        out[f"recall_{urgent}"] = round(float(recall_score(truth == u, predicted == u, zero_division=0)), 4)
    return out


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("nlp-service", "scikit-learn", "torch", "transformers", "numpy", "safetensors"):
        with contextlib.suppress(Exception):  # a missing optional package is just not listed
            out[package] = version(package)
    return out


def fit(dataset: Dataset, model_name: str, seed: int, params: dict[str, Any] | None = None
        ) -> tuple[TextClassifier, dict[str, list[int]], float]:
    split = split_indices(dataset, seed)
    texts, labels = dataset.texts, dataset.labels
    model = make_model(model_name, seed=seed, **(params or {}))
    started = time.perf_counter()
    model.fit([texts[i] for i in split["train"]], [labels[i] for i in split["train"]],
              dev=([texts[i] for i in split["dev"]], [labels[i] for i in split["dev"]]))
    return model, split, time.perf_counter() - started


def train(data: str | Path, model_name: str, out: str | Path, text_col: str = "text", label_col: str = "label",
          seed: int = 13, urgent: str | None = None, params: dict[str, Any] | None = None,
          command: str | None = None) -> dict[str, Any]:
    """Train, evaluate on the held-out split, save the artifact and its model card. Returns the report."""
    dataset = load_dataset(data, text_col, label_col)
    model, split, seconds = fit(dataset, model_name, seed, params)
    test = metrics(model, [dataset.texts[i] for i in split["test"]], [dataset.labels[i] for i in split["test"]], urgent)
    out = Path(out)
    model.save(out)
    report = {
        "model": model_name, "description": model.description, "artifact": str(out), "data": dataset.source,
        "data_sha256": dataset.sha256, "text_column": text_col, "label_column": label_col, "seed": seed,
        "labels": dict(sorted(Counter(dataset.labels).items())),
        "split_sizes": {k: len(v) for k, v in split.items()}, "train_seconds": round(seconds, 2),
        "temperature": round(model.temperature, 4), "test": test, "versions": versions(),
        "command": command or (f"nlp-service train --model {model_name} "
                               + " ".join(f"--data {d}" for d in (data if isinstance(data, list) else [data]))
                               + f" --text-col {text_col} --label-col {label_col} --seed {seed} --out {out}"),
    }
    (out / "training.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(report, model), encoding="utf-8")
    return report


def model_card(report: dict[str, Any], model: TextClassifier) -> str:
    t = report["test"]
    per_class = "\n".join(f"| {c} | {report['labels'].get(c, 0)} | {f:.3f} |" for c, f in t["per_class_f1"].items())
    urgent = "".join(f"- {k.replace('_', ' ')}: {v:.3f}\n" for k, v in t.items() if k.startswith("recall_"))
    return f"""# Model card: {report['model']} ({report['label_column']})

**Model**: {report['description']}. Parameters: `{json.dumps(model.params)}`. Probabilities are
temperature-scaled on the dev split (T = {report['temperature']}).

**Data**: `{report['data']}` (SHA-256 `{report['data_sha256']}`), text column `{report['text_column']}`,
label column `{report['label_column']}`. Split (seed {report['seed']}): {report['split_sizes']}. The file's
own `split` column is used when every row has one.

**Rebuild**: `{report['command']}` (deterministic for the seed).

## Held-out results ({t['n']} texts)

- accuracy: {t['accuracy']:.3f}
- macro-F1: {t['macro_f1']:.3f}
- expected calibration error: {t['ece']:.3f}
{urgent}
| label | examples (all splits) | F1 (test) |
|---|---|---|
{per_class}

Training time: {report['train_seconds']} s.

## Versions

{json.dumps(report['versions'], indent=2)}

## Limits

Trained only on the data above; labels outside it are never predicted. Not a medical device: triage
suggestions are for a clinician to confirm, and red-flag rules (not this model) guard emergencies.
"""

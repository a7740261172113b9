"""The cascade's accuracy/cost curve on the held-out triage test split.

Usage: python benchmarks/triage_cascade.py [--write]

For each confidence threshold, Naive Bayes answers the messages where its calibrated confidence clears
it and the next tier answers the rest. Cost is the mean in-process time per message (each tier's
single-message latency, measured here, times the share of messages that reach it). Uses the shipped
models in models/triage (urgency).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sklearn.metrics import f1_score

    from nlp_service.triage.models import TextClassifier

    rows = [json.loads(line) for line in (ROOT / "corpora" / "triage" / "test.jsonl").open(encoding="utf-8")]
    texts, truth = [r["text"] for r in rows], [r["urgency"] for r in rows]
    models = {name: TextClassifier.load(ROOT / "models" / "triage" / "urgency" / name) for name in ("nb", "head", "cnn")}
    proba, latency = {}, {}
    for name, model in models.items():
        proba[name] = model.predict_proba(texts)
        model.predict_proba(texts[:3])
        times = []
        for text in texts[:200]:
            t = time.perf_counter()
            model.predict_proba([text])
            times.append((time.perf_counter() - t) * 1000)
        latency[name] = statistics.mean(times)
    classes = models["nb"].classes
    lines = ["| cascade | threshold | share answered by nb | macro-F1 | accuracy | mean ms per message |", "|---|---|---|---|---|---|"]
    for nxt in ("head", "cnn"):
        for name in (f"{nxt} alone",):
            pred = [classes[i] for i in proba[nxt].argmax(axis=1)]
            lines.append(f"| {name} | - | 0% | {f1_score(truth, pred, average='macro'):.3f} | "
                         f"{np.mean(np.array(pred) == np.array(truth)):.3f} | {latency[nxt]:.2f} |")
        for threshold in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01):
            confident = proba["nb"].max(axis=1) >= threshold
            chosen = np.where(confident[:, None], proba["nb"], proba[nxt])
            pred = [classes[i] for i in chosen.argmax(axis=1)]
            cost = latency["nb"] + (1 - confident.mean()) * latency[nxt]
            label = "nb alone" if threshold == 0.0 else f"nb > {nxt}"
            lines.append(f"| {label} | {threshold if threshold <= 1 else 'never'} | {confident.mean():.0%} | "
                         f"{f1_score(truth, pred, average='macro'):.3f} | {np.mean(np.array(pred) == np.array(truth)):.3f} | {cost:.2f} |")
    body = f"""## Triage cascade: accuracy against cost

`python benchmarks/triage_cascade.py --write`; machine: {platform.machine()}, {os.cpu_count()} CPU threads. Urgency on the
hand-written held-out test split (593), shipped models. Red flags and the emergency threshold are not applied
here (they act after the cascade).

{chr(10).join(lines)}"""
    if args.write:
        write_section("triage_cascade", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

"""Choose the emergency operating point of the triage service on a threshold-choosing split.

Usage: python benchmarks/triage_threshold.py [--data corpora/triage/calibration.jsonl] [--recall 0.98] [--models DIR] [--write]

The service sends a message to the emergency department when a red-flag rule fires, or when the
probability of ``emergency`` from its safety models (the mean of their probabilities, so that one model's
spike needs support from the others) reaches ``emergency_threshold``. For every set of shipped urgency
models and every threshold, this prints emergency recall and false alarms on the given split, with
red flags on, and names the set and threshold with the fewest false alarms that reach the recall
target. Choose on calibration.jsonl (hand-written for this), never on test.jsonl.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

import numpy as np
from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "corpora" / "triage" / "calibration.jsonl"))
    parser.add_argument("--recall", type=float, default=0.98)
    parser.add_argument("--models", default=str(ROOT / "models" / "triage"), help="folder of <task>/<model> artifacts")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if "test.jsonl" in args.data:
        sys.exit("refusing to choose thresholds on the test split")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from nlp_service.triage.models import TextClassifier
    from nlp_service.triage.redflags import red_flags

    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    is_emergency = np.array([r["urgency"] == "emergency" for r in rows])
    flagged = np.array([bool(red_flags(t)) for t in texts])
    root = Path(args.models) / "urgency"
    names = sorted(p.name for p in root.iterdir() if (p / "config.json").is_file())
    p_emergency = {}
    for name in names:
        model = TextClassifier.load(root / name)
        p_emergency[name] = model.predict_proba(texts)[:, model.classes.index("emergency")]
    n_pos, n_neg = int(is_emergency.sum()), int((~is_emergency).sum())
    lines = [f"{len(rows)} messages ({n_pos} emergencies) from `{Path(args.data).name}`; red flags alone catch "
             f"{int((flagged & is_emergency).sum())}/{n_pos} with {int((flagged & ~is_emergency).sum())} false alarms.", "",
             "| safety models (mean P(emergency)) | threshold | emergency recall | missed | false alarms |", "|---|---|---|---|---|"]
    best = None
    for size in (1, 2, 3):
        for combo in itertools.combinations(names, size):
            score = np.mean([p_emergency[n] for n in combo], axis=0)
            for threshold in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5):
                alarm = flagged | (score >= threshold)
                recall = (alarm & is_emergency).sum() / n_pos
                false_alarms = int((alarm & ~is_emergency).sum())
                if recall >= args.recall and (best is None or false_alarms < best[3]):
                    best = (combo, threshold, recall, false_alarms)
                if threshold in (0.1, 0.2, 0.3):
                    lines.append(f"| {'+'.join(combo)} | {threshold} | {recall:.3f} | {n_pos - int((alarm & is_emergency).sum())} | "
                                 f"{false_alarms}/{n_neg} |")
    if best:
        lines += ["", f"Fewest false alarms at recall >= {args.recall}: safety models {'+'.join(best[0])}, threshold "
                      f"{best[1]} (recall {best[2]:.3f}, {best[3]}/{n_neg} false alarms)."]
    else:
        lines += ["", f"No set of models reaches recall {args.recall} at these thresholds."]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("triage_threshold", f"## Triage: choosing the emergency operating point\n\n"
                      f"`python benchmarks/triage_threshold.py --data {Path(args.data).relative_to(ROOT)} --recall {args.recall} --write`; "
                      f"shipped models. Chosen here, then scored once on the test split (section triage).\n\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

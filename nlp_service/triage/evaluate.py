"""Score the triage service (cascade, red flags, emergency threshold) on labelled messages."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from ..errors import Errors
from .service import TriageService


def evaluate_triage(service: TriageService, path: Path, model: str | None = None) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, f1_score

    if not path.is_file():
        raise Errors.INPUT_NOT_FOUND.error(path=str(path))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = [service.triage(r["text"], model=model, explain=False) for r in rows]
    out: dict[str, Any] = {"messages": len(rows), "model": model or "cascade " + " > ".join(service.settings.cascade)}
    for task in ("urgency", "destination"):
        truth = [r[task] for r in rows]
        got = [getattr(x, task) for x in results]
        out[task] = {"accuracy": round(accuracy_score(truth, got), 4), "macro_f1": round(f1_score(truth, got, average="macro"), 4)}
    emergencies = [(r, x) for r, x in zip(rows, results, strict=True) if r["urgency"] == "emergency"]
    caught = sum(x.urgency == "emergency" for _r, x in emergencies)
    out["emergency_recall"] = round(caught / max(1, len(emergencies)), 4)
    out["emergency_missed"] = len(emergencies) - caught
    out["emergency_by_red_flag"] = sum(bool(x.red_flags) for _r, x in emergencies)
    false_alarms = sum(x.urgency == "emergency" for r, x in zip(rows, results, strict=True) if r["urgency"] != "emergency")
    out["non_emergencies_sent_to_emergency"] = false_alarms
    out["answered_by"] = {name: sum(x.model == name for x in results) for name in {x.model for x in results}}
    out["p50_ms"] = round(statistics.median(x.latency_ms for x in results), 2)
    return out

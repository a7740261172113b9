"""Score question answering on held-out questions: MRR@10 and P@1, stage by stage.

A retrieved pair is relevant when it is the held-out question's own pair (its question is not in the
question index; its answer is) or when it has the same focus and the same question type: a question
it entails, answered by a trusted source (Ben Abacha & Demner-Fushman 2019). The strict figures leave
the question's own pair out of the ranking and count only the questions that have another relevant
pair, as if the whole pair had been held out.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from ..errors import Errors
from .kb import medquad_id
from .service import QAService
from .store import normalise

CONFIGS = {  # name -> (mode, rerank, understanding)
    "BM25 alone": ("lexical", False, False),
    "dense alone": ("dense", False, False),
    "hybrid": ("hybrid", False, False),
    "hybrid + re-rank": ("hybrid", True, False),
    "hybrid + question understanding": ("hybrid", False, True),
    "hybrid + re-rank + question understanding": ("hybrid", True, True),
}


def evaluate_qa(service: QAService, kb_name: str, path: Path, configs: list[str] | None = None,
                field: str = "patient_question") -> dict[str, Any]:
    if not path.is_file():
        raise Errors.INPUT_NOT_FOUND.error(path=str(path))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    kb = service.kb(kb_name)
    by_key: dict[tuple[str, str], set[str]] = {}
    for e in kb.entries.values():
        by_key.setdefault((normalise(e.focus), e.qtype), set()).add(e.id)
    gold = []
    for r in rows:
        own = medquad_id(r["source"], Path(r["document"]).stem, r["qid"])
        if own not in kb.entries:
            continue
        entry = kb.entries[own]
        gold.append((r[field], own, by_key[(normalise(entry.focus), entry.qtype)]))
    out: dict[str, Any] = {"kb": kb_name, "questions": len(gold), "field": field, "results": {}}
    for name in configs or list(CONFIGS):
        mode, rerank, understanding = CONFIGS[name]
        rr, p1, strict_rr, strict_p1, strict_n, times, qtype_ok, focus_ok = [], [], [], [], 0, [], 0, 0
        for question, own, relevant in gold:
            t = time.perf_counter()
            ranked, _scores, _passages, parsed = service.rank(kb, question, mode=mode, rerank=rerank, understanding=understanding)
            times.append((time.perf_counter() - t) * 1000)
            top = ranked[:10]
            first = next((i for i, c in enumerate(top, start=1) if c in relevant), None)
            rr.append(1 / first if first else 0.0)
            p1.append(float(first == 1))
            qtype_ok += parsed.qtype == kb.entries[own].qtype
            focus_ok += bool(parsed.focus) and normalise(parsed.focus) == normalise(kb.entries[own].focus)
            if relevant - {own}:
                strict_n += 1
                rest = [c for c in ranked if c != own][:10]
                first = next((i for i, c in enumerate(rest, start=1) if c in relevant), None)
                strict_rr.append(1 / first if first else 0.0)
                strict_p1.append(float(first == 1))
        out["results"][name] = {
            "mrr@10": round(statistics.mean(rr), 4), "p@1": round(statistics.mean(p1), 4),
            "strict_questions": strict_n,
            "strict_mrr@10": round(statistics.mean(strict_rr), 4) if strict_rr else None,
            "strict_p@1": round(statistics.mean(strict_p1), 4) if strict_p1 else None,
            "qtype_accuracy": round(qtype_ok / len(gold), 4), "focus_accuracy": round(focus_ok / len(gold), 4),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0], 1),
        }
    return out

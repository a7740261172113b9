"""Score ICD-10-CM linking against gold mentions (corpora/linking/gold/mentions.jsonl).

Each gold line has the mention, its context sentence and offsets, the gold code and a kind (plain,
abbreviation, misspelling, lay, laterality). The linker sees the mention plus what record analysis
would tell it: whether cues around the mention mark it as past (``history_cue``). Accuracy@k counts a
mention as right when the gold code is among the first k codes returned.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..errors import Errors
from .icd10cm import MODES, IcdLinker, Query, history_cue


def load_gold(path: Path, split: str = "all") -> list[dict[str, Any]]:
    if not path.is_file():
        raise Errors.INPUT_NOT_FOUND.error(path=str(path))
    gold = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row["mention"], row["code"], row["context"]  # noqa: B018 - presence check
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise Errors.GOLD_INVALID.error(path=f"{path}:{number}", reason=f"not a gold mention ({exc})") from None
        if split == "all" or row.get("split") == split:
            gold.append(row)
    return gold


def evaluate_linking(linker: IcdLinker, gold: list[dict[str, Any]], modes: tuple[str, ...] = MODES,
                     errors: bool = False) -> dict[str, Any]:
    queries = [Query(g["mention"], history=history_cue(g["context"], g.get("begin", 0), g.get("end", len(g["mention"]))))
               for g in gold]
    report: dict[str, Any] = {"mentions": len(gold), "code_set": linker.version, "modes": {}}
    for mode in modes:
        started = time.perf_counter()
        linker._memo.clear()
        results = linker.link_many(queries, k=5, mode=mode)
        ms = (time.perf_counter() - started) * 1000 / max(1, len(gold))
        kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        wrong = []
        for g, candidates in zip(gold, results, strict=True):
            codes = [c.code for c in candidates]
            for key in ("all", g.get("kind", "other")):
                kinds[key][0] += 1
                kinds[key][1] += bool(codes) and codes[0] == g["code"]
                kinds[key][2] += g["code"] in codes
            if errors and (not codes or codes[0] != g["code"]):
                wrong.append({"mention": g["mention"], "gold": g["code"], "got": codes[:3]})
        report["modes"][mode] = {
            "ms_per_mention": round(ms, 2),
            **{kind: {"n": n, "acc@1": round(a1 / n, 4), "acc@5": round(a5 / n, 4)} for kind, (n, a1, a5) in sorted(kinds.items())},
        }
        if errors:
            report["modes"][mode]["errors"] = wrong
    return report


def format_linking_report(report: dict[str, Any]) -> str:
    lines = [f"ICD-10-CM linking, {report['mentions']} gold mentions, {report['code_set']}", ""]
    kinds = [k for k in next(iter(report["modes"].values())) if k not in ("ms_per_mention", "errors", "all")]
    lines.append(f"{'mode':10} {'acc@1':>6} {'acc@5':>6} {'ms':>6}  " + "  ".join(f"{k[:12]:>12}" for k in kinds))
    for mode, r in report["modes"].items():
        per = "  ".join(f"{r[k]['acc@1']:.2f}/{r[k]['acc@5']:.2f}".rjust(12) for k in kinds)
        lines.append(f"{mode:10} {r['all']['acc@1']:6.3f} {r['all']['acc@5']:6.3f} {r['ms_per_mention']:6.2f}  {per}")
    lines.append("")
    lines.append("per kind: acc@1/acc@5. Targets (combined): acc@1 >= 0.80, acc@5 >= 0.92.")
    return "\n".join(lines) + "\n"

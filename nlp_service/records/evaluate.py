"""Score record analysis against standoff gold annotations (``corpora/notes/gold``).

Entities: precision, recall and F1 per category, strict (same span and category) and lenient
(overlapping spans, same category). Assertions: for every non-default value, precision, recall and
F1 over the entities both sides found (lenient match), plus how many gold mentions of the value
the system missed as entities. Also medication attributes (exact span and type), problem types
and section headers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Errors
from ..schemas import RecordAnalysis

CATEGORIES = ("PROBLEM", "MEDICATION", "TEST_OR_PROCEDURE", "ANATOMY")
ASSERTION_VALUES = (
    ("certainty", "negated"),
    ("certainty", "possible"),
    ("temporality", "historical"),
    ("temporality", "hypothetical"),
    ("subject", "family"),
    ("subject", "other"),
)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def scores(self) -> dict[str, float | int]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


def prf(gold: set, pred: set) -> Counts:
    """Counts for two sets of hashable items."""
    return Counts(len(gold & pred), len(pred - gold), len(gold - pred))


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def match_lenient(gold: list[dict], pred: list[dict]) -> list[tuple[int, int]]:
    """Pair gold and predicted entities of the same category whose spans overlap (greedy, 1:1)."""
    pairs, used = [], set()
    for gi, g in enumerate(gold):
        best, best_len = None, -1
        for pi, p in enumerate(pred):
            if pi in used or p["category"] != g["category"]:
                continue
            if _overlap((g["begin"], g["end"]), (p["begin"], p["end"])):
                shared = min(g["end"], p["end"]) - max(g["begin"], p["begin"])
                exact = (g["begin"], g["end"]) == (p["begin"], p["end"])
                score = shared + (10**6 if exact else 0)
                if score > best_len:
                    best, best_len = pi, score
        if best is not None:
            used.add(best)
            pairs.append((gi, best))
    return pairs


@dataclass
class Report:
    notes: int = 0
    chars: int = 0
    strict: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    lenient: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    assertions: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    assertion_missed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    attributes: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    sections: Counts = field(default_factory=Counts)
    problem_type: Counts = field(default_factory=Counts)
    errors: list[dict[str, Any]] = field(default_factory=list)


def load_gold(gold_dir: Path, split: str = "all") -> list[tuple[str, dict]]:
    """Load (text, annotations) pairs from a gold folder, filtered by split."""
    if not gold_dir.is_dir():
        raise Errors.INPUT_NOT_FOUND.error(path=str(gold_dir))
    out = []
    for ann_path in sorted(gold_dir.glob("*.json")):
        txt_path = ann_path.with_suffix(".txt")
        if not txt_path.is_file():
            raise Errors.GOLD_INVALID.error(path=str(ann_path), reason="no matching .txt file")
        try:
            ann = json.loads(ann_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise Errors.GOLD_INVALID.error(path=str(ann_path), reason=str(exc)) from None
        if split != "all" and ann.get("split") != split:
            continue
        out.append((txt_path.read_text(encoding="utf-8"), ann))
    if not out:
        raise Errors.GOLD_INVALID.error(path=str(gold_dir), reason=f"no gold notes in split {split!r}")
    return out


def score_note(report: Report, text: str, gold: dict, result: RecordAnalysis) -> None:
    """Add one note's comparison to the report."""
    report.notes += 1
    report.chars += len(text)
    pred = [e.model_dump(mode="json") for e in result.entities]
    g_ents = gold["entities"]
    for cat in CATEGORIES:
        gs = {(e["begin"], e["end"]) for e in g_ents if e["category"] == cat}
        ps = {(e["begin"], e["end"]) for e in pred if e["category"] == cat}
        report.strict[cat].add(prf(gs, ps))
        g_list = [e for e in g_ents if e["category"] == cat]
        p_list = [e for e in pred if e["category"] == cat]
        pairs = match_lenient(g_list, p_list)
        report.lenient[cat].add(Counts(len(pairs), len(p_list) - len(pairs), len(g_list) - len(pairs)))
    pairs = match_lenient(g_ents, pred)
    matched_gold = {gi for gi, _ in pairs}
    for gi, pi in pairs:
        g, p = g_ents[gi], pred[pi]
        for axis, value in ASSERTION_VALUES:
            key = f"{axis}={value}"
            gv, pv = g["assertion"][axis] == value, p["assertion"][axis] == value
            c = report.assertions[key]
            c.tp += gv and pv
            c.fp += pv and not gv
            c.fn += gv and not pv
            if gv != pv:
                report.errors.append({
                    "note": gold["id"], "kind": f"assertion {key}", "text": g["text"],
                    "gold": g["assertion"][axis], "pred": p["assertion"][axis],
                    "context": text[max(0, g["begin"] - 60): g["end"] + 40].replace("\n", " "),
                    "cues": [c["rule"] for c in p["cues"]],
                })
        if g["category"] == "PROBLEM" and g.get("type"):
            report.problem_type.tp += g["type"] == p["type"]
            report.problem_type.fn += g["type"] != p["type"]
    for gi, g in enumerate(g_ents):
        if gi in matched_gold:
            continue
        for axis, value in ASSERTION_VALUES:
            if g["assertion"][axis] == value:
                report.assertion_missed[f"{axis}={value}"] += 1
        report.errors.append({"note": gold["id"], "kind": f"missed {g['category']}", "text": g["text"],
                              "context": text[max(0, g["begin"] - 40): g["end"] + 40].replace("\n", " ")})
    gold_pairs = {pi for _, pi in pairs}
    for pi, p in enumerate(pred):
        if pi not in gold_pairs:
            report.errors.append({"note": gold["id"], "kind": f"spurious {p['category']}", "text": p["text"],
                                  "context": text[max(0, p["begin"] - 40): p["end"] + 40].replace("\n", " ")})
    # medication attributes: exact span and type
    g_attr = {(a["begin"], a["end"], a["type"]) for a in gold.get("attributes", [])}
    p_attr = {(a.begin, a.end, a.type.value) for e in result.entities for a in e.attributes}
    for t in {x[2] for x in g_attr | p_attr}:
        report.attributes[t].add(prf({x for x in g_attr if x[2] == t}, {x for x in p_attr if x[2] == t}))
    # section headers: title span overlap and same category
    g_sec = [(s["begin"], s["end"], s["category"]) for s in gold.get("sections", [])]
    p_sec = [(s.title_begin, s.title_end, s.category) for s in result.sections]
    hit = sum(any(_overlap(g[:2], p[:2]) and g[2] == p[2] for p in p_sec) for g in g_sec)
    good = sum(any(_overlap(g[:2], p[:2]) and g[2] == p[2] for g in g_sec) for p in p_sec)
    report.sections.add(Counts(hit, len(p_sec) - good, len(g_sec) - hit))


def evaluate_records(analyzer: Any, gold_dir: Path, split: str = "all") -> dict[str, Any]:
    """Run the analyser over the gold notes and return the full report as a dict."""
    notes = load_gold(gold_dir, split)
    report = Report()
    results = analyzer.analyze_many(text for text, _ in notes)
    for (text, gold), result in zip(notes, results, strict=True):
        score_note(report, text, gold, result)
    return to_dict(report, split)


def _micro(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in counts:
        total.add(c)
    return total


def to_dict(report: Report, split: str) -> dict[str, Any]:
    return {
        "split": split,
        "notes": report.notes,
        "characters": report.chars,
        "entities_strict": {**{k: report.strict[k].scores() for k in CATEGORIES},
                            "overall": _micro(report.strict.values()).scores()},
        "entities_lenient": {**{k: report.lenient[k].scores() for k in CATEGORIES},
                             "overall": _micro(report.lenient.values()).scores()},
        "assertions": {f"{a}={v}": {**report.assertions[f"{a}={v}"].scores(),
                                    "missed_as_entity": report.assertion_missed[f"{a}={v}"]}
                       for a, v in ASSERTION_VALUES},
        "problem_type_accuracy": round(
            report.problem_type.tp / max(1, report.problem_type.tp + report.problem_type.fn), 4),
        "attributes": {k: report.attributes[k].scores() for k in sorted(report.attributes)},
        "attributes_overall": _micro(report.attributes.values()).scores(),
        "sections": report.sections.scores(),
        "errors": report.errors,
    }


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table of the headline figures."""
    lines = [f"Record analysis, split={report['split']}: {report['notes']} notes, "
             f"{report['characters']} characters", ""]
    lines.append(f"{'entities':<24}{'strict P':>9}{'R':>7}{'F1':>7}   {'lenient P':>9}{'R':>7}{'F1':>7}{'gold':>7}")
    for key in (*CATEGORIES, "overall"):
        s, le = report["entities_strict"][key], report["entities_lenient"][key]
        lines.append(f"{key:<24}{s['precision']:>9.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}   "
                     f"{le['precision']:>9.3f}{le['recall']:>7.3f}{le['f1']:>7.3f}{s['tp'] + s['fn']:>7}")
    lines += ["", f"{'assertion (matched entities)':<30}{'P':>7}{'R':>7}{'F1':>7}{'gold':>7}{'missed':>8}"]
    for key, s in report["assertions"].items():
        lines.append(f"{key:<30}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
                     f"{s['tp'] + s['fn']:>7}{s['missed_as_entity']:>8}")
    lines += ["", f"{'medication attributes':<30}{'P':>7}{'R':>7}{'F1':>7}{'gold':>7}"]
    for key, s in (*report["attributes"].items(), ("overall", report["attributes_overall"])):
        lines.append(f"{key:<30}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}{s['tp'] + s['fn']:>7}")
    s = report["sections"]
    lines += ["", f"section headers: P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.3f} (gold {s['tp'] + s['fn']})",
              f"problem type accuracy (matched problems): {report['problem_type_accuracy']:.3f}", ""]
    return "\n".join(lines)

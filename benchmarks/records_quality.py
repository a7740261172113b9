"""Record-analysis quality on corpora/notes, per split, written to benchmarks/RESULTS.md.

Usage: python benchmarks/records_quality.py [--write]

Runs the same evaluator as ``nlp-service evaluate records`` on the dev split (used to develop the
lexicons and rules), the held-out test split, and all notes, and tabulates the issue's targets.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "corpora" / "notes" / "gold"

TARGETS = [
    ("entity F1 (strict)", lambda r: r["entities_strict"]["overall"]["f1"], 0.85),
    ("entity F1 (lenient)", lambda r: r["entities_lenient"]["overall"]["f1"], None),
    ("negated F1", lambda r: r["assertions"]["certainty=negated"]["f1"], 0.95),
    ("possible F1", lambda r: r["assertions"]["certainty=possible"]["f1"], None),
    ("historical F1", lambda r: r["assertions"]["temporality=historical"]["f1"], 0.90),
    ("hypothetical F1", lambda r: r["assertions"]["temporality=hypothetical"]["f1"], None),
    ("family F1", lambda r: r["assertions"]["subject=family"]["f1"], 0.90),
    ("other (subject) F1", lambda r: r["assertions"]["subject=other"]["f1"], None),
    ("medication attributes F1", lambda r: r["attributes_overall"]["f1"], None),
    ("section headers F1", lambda r: r["sections"]["f1"], None),
]


def main() -> int:
    import nlp_service
    from nlp_service.records.evaluate import CATEGORIES, evaluate_records

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    analyzer = nlp_service.load()
    reports = {split: evaluate_records(analyzer, GOLD, split) for split in ("dev", "test", "all")}

    lines = [
        "## Record analysis quality",
        "",
        "Command: `python benchmarks/records_quality.py --write` (the evaluator behind "
        "`nlp-service evaluate records --split dev|test|all`)  ",
        f"Gold: corpora/notes, {reports['all']['notes']} notes, {reports['all']['characters']:,} characters "
        f"(dev {reports['dev']['notes']}, test {reports['test']['notes']}); {time.strftime('%Y-%m-%d')}, "
        f"Python {platform.python_version()}.  ",
        "Strict: same span and category. Lenient: overlapping span, same category. Assertion F1 is "
        "over the entities both sides found (lenient match).",
        "",
        "| measure | target | dev | test (held out) | all | met on all | met on test |",
        "|---|---:|---:|---:|---:|:---:|:---:|",
    ]
    for name, get, target in TARGETS:
        cells = [f"{get(reports[s]):.3f}" for s in ("dev", "test", "all")]
        met = [("yes" if get(reports[s]) >= target else "**no**") if target else "" for s in ("all", "test")]
        lines.append(f"| {name} | {f'>= {target:.2f}' if target else ''} | " + " | ".join(cells + met) + " |")
    lines += ["", "Entities by category (all notes):", "",
              "| category | strict P | strict R | strict F1 | lenient F1 | gold |", "|---|---:|---:|---:|---:|---:|"]
    for cat in (*CATEGORIES, "overall"):
        s, le = reports["all"]["entities_strict"][cat], reports["all"]["entities_lenient"][cat]
        lines.append(f"| {cat} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {le['f1']:.3f} | {s['tp'] + s['fn']} |")
    lines += ["", "Assertion values (all notes):", "",
              "| value | P | R | F1 | gold (matched) | gold missed as entity |", "|---|---:|---:|---:|---:|---:|"]
    for key, s in reports["all"]["assertions"].items():
        lines.append(f"| {key} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['tp'] + s['fn']} | {s['missed_as_entity']} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section("records_quality", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

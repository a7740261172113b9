"""PHI detection quality and entity preservation, per split, written to benchmarks/RESULTS.md.

Usage: python benchmarks/phi_quality.py [--write]

Runs the evaluator behind ``nlp-service evaluate phi`` over corpora/notes and corpora/phi together,
on the dev split (used to develop the recognizers), the held-out test split and everything, and the
entity-preservation check of ``--preservation`` on corpora/notes.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
NOTES, SNIPPETS = ROOT / "corpora" / "notes" / "gold", ROOT / "corpora" / "phi" / "gold"


def fmt(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "-"


def main() -> int:
    import nlp_service
    from nlp_service.phi.evaluate import entity_preservation, evaluate_phi
    from nlp_service.schemas import PhiType

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    service = nlp_service.load_phi(phi={"secret": "benchmark-secret"})
    reports = {split: evaluate_phi(service, [NOTES, SNIPPETS], split) for split in ("dev", "test", "all")}
    by_source = {name: evaluate_phi(service, [folder], "all") for name, folder in (("notes", NOTES), ("snippets", SNIPPETS))}
    docs = reports["all"]["documents"]
    lines = [
        "## PHI detection quality",
        "",
        "Command: `python benchmarks/phi_quality.py --write` (the evaluator behind "
        "`nlp-service evaluate phi --split dev|test|all --preservation`)  ",
        f"Gold: corpora/notes and corpora/phi, {docs} texts, {reports['all']['overall']['gold_tokens']:,} gold PHI tokens "
        f"(dev {reports['dev']['documents']} texts, test {reports['test']['documents']}); "
        f"{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}.  ",
        "Token recall: share of gold PHI tokens covered by any finding (they are removed whatever the type); "
        "precision: share of predicted tokens that are gold PHI. Targets: recall >= 0.98 overall and >= 0.95 "
        "per type, precision >= 0.90.",
        "",
        "| type | gold tokens (all) | recall dev | recall test | recall all | precision all | span F1 all (exact) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in [t.value for t in PhiType]:
        a = reports["all"]["types"][kind]
        lines.append(f"| {kind} | {a['gold_tokens']:,} | {fmt(reports['dev']['types'][kind]['token_recall'])} | "
                     f"{fmt(reports['test']['types'][kind]['token_recall'])} | {fmt(a['token_recall'])} | "
                     f"{fmt(a['token_precision'])} | {fmt(a['span_exact']['f1'])} |")
    o = {split: r["overall"] for split, r in reports.items()}
    lines.append(f"| **overall** | {o['all']['gold_tokens']:,} | **{fmt(o['dev']['token_recall'])}** | "
                 f"**{fmt(o['test']['token_recall'])}** | **{fmt(o['all']['token_recall'])}** | "
                 f"**{fmt(o['all']['token_precision'])}** | {fmt(o['all']['span_exact']['f1'])} |")
    lines += ["", "| source (all splits) | texts | token recall | token precision |", "|---|---:|---:|---:|"]
    for name, r in by_source.items():
        lines.append(f"| {name} | {r['documents']} | {fmt(r['overall']['token_recall'])} | "
                     f"{fmt(r['overall']['token_precision'])} |")
    preservation = entity_preservation(nlp_service.load(), service, [NOTES], "all")
    lines += ["", "Clinical entities kept after de-identification (corpora/notes, entities overlapping no gold PHI; "
              "target: at most 1% lost):", "",
              "| operator | entities | kept | lost | lost rate | assertion changed |", "|---|---:|---:|---:|---:|---:|"]
    for operator, p in preservation.items():
        lines.append(f"| {operator} | {p['entities']:,} | {p['kept']:,} | {p['lost']} | {p['lost_rate']:.2%} | "
                     f"{p['assertion_changed']} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section("phi_quality", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

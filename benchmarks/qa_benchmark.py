"""Medical Q&A over the full MedQuAD knowledge base: quality stage by stage, latency, build time, size.

Usage: python benchmarks/qa_benchmark.py [--kb medquad] [--build] [--write]

The KB is MedQuAD (../shared/corpora/medquad, CC BY 4.0; not in the repository), imported from its
XML with the 330 held-out questions of corpora/qa/medquad_heldout.jsonl kept out of the question index
(`--build` imports and builds it first, timing the build). Quality: `nlp-service evaluate qa` on the
held-out questions rewritten as patients ask them (MRR@10, P@1; relevance in corpora/qa/DATASHEET.md).
Latency: each held-out patient question answered one at a time through `QAService.answer` (the path of
`POST /v1/qa` and `nlp-service ask`, k = 3), with the re-ranker off and on (top 20), on this machine's CPUs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
MEDQUAD = ROOT.parent / "shared" / "corpora" / "medquad"
HELDOUT = ROOT / "corpora" / "qa" / "medquad_heldout.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default="medquad")
    parser.add_argument("--build", action="store_true", help="import MedQuAD and build the KB first (timed)")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from nlp_service import record_analyzer
    from nlp_service.config import load_settings
    from nlp_service.qa.evaluate import CONFIGS, evaluate_qa
    from nlp_service.qa.kb import heldout_ids, import_medquad
    from nlp_service.qa.service import QAService, entity_finder
    from nlp_service.qa.store import folder_bytes

    settings = load_settings()
    service = QAService(settings.qa, settings.search, settings.embeddings, entities=entity_finder(record_analyzer(settings)))
    if args.build:
        t = time.perf_counter()
        entries, report = import_medquad(MEDQUAD)
        service.store(args.kb, entries, report, heldout_ids(HELDOUT))
        import_s = time.perf_counter() - t
        manifest = service.build(args.kb)
        manifest["seconds"]["import"] = round(import_s, 1)
        (Path(service.root) / args.kb / "index" / "build_timing.json").write_text(json.dumps(manifest["seconds"]), encoding="utf-8")
    kb = service.kb(args.kb)
    seconds = kb.manifest["seconds"]
    size_mb = folder_bytes(kb.path / "index") / 1e6
    quality = evaluate_qa(service, args.kb, HELDOUT)
    rows = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    latency = {}
    for rerank, name in ((False, "retrieval + understanding, no cross-encoder (the default)"),
                         (True, "with the cross-encoder re-ranking the top 20")):
        service.settings = service.settings.model_copy(update={"rerank": rerank})
        service.answer({"question": rows[0]["patient_question"], "kb": args.kb})
        times = []
        for r in rows:
            t = time.perf_counter()
            service.answer({"question": r["patient_question"], "kb": args.kb, "k": 3})
            times.append((time.perf_counter() - t) * 1000)
        latency[name] = (statistics.median(times), statistics.quantiles(times, n=20)[-1])
    machine = f"{platform.machine()}, {os.cpu_count()} CPU threads, Python {platform.python_version()}"
    lines = [
        "## Medical Q&A (MedQuAD knowledge base)", "",
        f"`python benchmarks/qa_benchmark.py{' --build' if args.build else ''} --write`; machine: {machine}; {time.strftime('%Y-%m-%d')}.",
        f"KB `{args.kb}`: {len(kb.entries):,} answered MedQuAD pairs ({kb.manifest['heldout']} held-out questions kept out of the "
        f"question index). Build: {seconds['total']:.0f} s (questions {seconds['questions']:.0f} s, answers "
        f"{seconds['answers']:.0f} s, encoder {kb.manifest['encoder']['backend']}); {size_mb:.0f} MB on disk.", "",
        f"Quality on {quality['questions']} held-out MedQuAD questions rewritten as patients ask them "
        "(corpora/qa/medquad_heldout.jsonl). Relevant: the question's own pair (found through its answer) or a pair with "
        "the same focus and type. Strict: the own pair removed, over the questions that have another relevant pair.", "",
        "| stages | MRR@10 | P@1 | strict MRR@10 | strict P@1 | p50 ms | p95 ms |", "|---|---|---|---|---|---|---|"]
    for name in CONFIGS:
        q = quality["results"][name]
        lines.append(f"| {name} | {q['mrr@10']:.3f} | **{q['p@1']:.3f}** | {q['strict_mrr@10']:.3f} | {q['strict_p@1']:.3f} "
                     f"(n={q['strict_questions']}) | {q['p50_ms']:.0f} | {q['p95_ms']:.0f} |")
    any_row = next(iter(quality["results"].values()))
    lines += ["", f"Question understanding: question type right for {any_row['qtype_accuracy']:.1%}, focus right for "
                  f"{any_row['focus_accuracy']:.1%} of the questions (focus chosen among the topics of the first row's candidates).", "",
              "Latency per question through `QAService.answer` (k = 3), all 330 patient questions, one at a time:", "",
              "| path | p50 ms | p95 ms |", "|---|---|---|"]
    for name, (p50, p95) in latency.items():
        lines.append(f"| {name} | {p50:.1f} | {p95:.1f} |")
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_section("qa_benchmark", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Record-analysis throughput against a plain medspaCy pipeline carrying the same lexicon.

Usage: python benchmarks/records_throughput.py [--rounds 3] [--repeat 4] [--write]

Both pipelines run over the same texts (corpora/notes/gold/*.txt, repeated ``--repeat`` times) in
the same invocation. Each measurement runs in a fresh child process, alternating between the two
systems for ``--rounds`` rounds, so neither inherits the other's warm caches or memory; we report
the median characters/s and the child's peak RSS. A last measurement runs our analyser in two
worker processes (one per core of the reference machine).

``medspacy.load()`` gives the stock pipeline (PyRuSH sentences, target matcher, ConText with its
default rules); we add every term of our four lexicons as TargetRules, so it finds the same
concepts while doing less (no sections, no request terms, no medication attributes, no codes).
With ``--write`` the table replaces the records section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "corpora" / "notes" / "gold"


def load_texts(repeat: int) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(GOLD.glob("*.txt"))]
    if not texts:
        sys.exit(f"no texts in {GOLD}; run `make gold` first")
    return texts * repeat


# 100,000-character notes built to be slow: every fourth word a negation cue, no full stops; and
# 10,000 one-line sentences, each with a cue and an entity.
WORST_CASES = {
    "no full stops ('no fever cough rash' x 5,000)": ("no fever cough rash " * 5000)[:100_000],
    "10,000 short sentences ('No fever.' x 10,000)": "No fever. " * 10_000,
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(texts: list[str], queue: mp.Queue) -> None:
    import nlp_service

    t0 = time.perf_counter()
    analyzer = nlp_service.load()
    analyzer.prepare()  # the ICD-10-CM synonym index, as `nlp-service serve` loads it before serving
    load_s = time.perf_counter() - t0
    # warm-up on a note outside the corpus, so no mention of the timed notes is already linked
    analyzer.analyze("Denies fever. H/o asthma on albuterol 2 puffs q4h prn. Left ankle sprain.")
    t0 = time.perf_counter()
    entities = sum(len(r.entities) for r in analyzer.analyze_many(texts))
    elapsed = time.perf_counter() - t0
    peak = _peak_rss_mb()  # before the worst cases, which are reported on their own
    worst = {}
    for name, note in WORST_CASES.items():
        t1 = time.perf_counter()
        analyzer.analyze(note)
        worst[name] = time.perf_counter() - t1
    queue.put({"system": "nlp-service", "chars": sum(map(len, texts)), "seconds": elapsed,
               "entities": entities, "load_s": load_s, "peak_rss_mb": peak, "worst_s": worst})


def _lexicon_rules():
    from medspacy.ner import TargetRule

    from nlp_service.resources import load_lexicon

    rules = []
    for name in ("problems", "medications", "tests_procedures", "anatomy"):
        for concept in load_lexicon(name):
            for term in concept["terms"]:
                rules.append(TargetRule(term, concept["category"]))
            for term in concept["case_sensitive"]:
                rules.append(TargetRule(term, concept["category"], pattern=[{"ORTH": t} for t in term.split()]))
    return rules


def run_medspacy(texts: list[str], queue: mp.Queue) -> None:
    from nlp_service._logging import quiet_third_party

    quiet_third_party()
    import medspacy

    t0 = time.perf_counter()
    nlp = medspacy.load()
    nlp.get_pipe("medspacy_target_matcher").add(_lexicon_rules())
    load_s = time.perf_counter() - t0
    for _ in nlp.pipe(texts[:5]):
        pass
    t0 = time.perf_counter()
    entities = sum(len(doc.ents) for doc in nlp.pipe(texts))
    elapsed = time.perf_counter() - t0
    queue.put({"system": "medspacy.load() + same lexicon", "chars": sum(map(len, texts)),
               "seconds": elapsed, "entities": entities, "load_s": load_s, "peak_rss_mb": _peak_rss_mb()})


def _worker_chunk(texts: list[str]) -> int:
    import nlp_service

    analyzer = nlp_service.load()
    return sum(len(r.entities) for r in analyzer.analyze_many(texts))


def run_ours_parallel(texts: list[str], queue: mp.Queue, workers: int = 2) -> None:
    import nlp_service

    # load before forking, as gunicorn's preload does; each worker's encoder gets its share of the cores
    os.environ["NLP_SERVICE_ENCODER_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    nlp_service.load().prepare()
    chunks = [texts[i::workers] for i in range(workers)]
    ctx = mp.get_context("fork")
    with ctx.Pool(workers) as pool:
        pool.map(_worker_chunk, [["Denies fever. H/o asthma on albuterol. Left ankle sprain."]] * workers)  # warm-up
        t0 = time.perf_counter()
        entities = sum(pool.map(_worker_chunk, chunks))
        elapsed = time.perf_counter() - t0
    queue.put({"system": f"nlp-service, {workers} processes", "chars": sum(map(len, texts)),
               "seconds": elapsed, "entities": entities, "load_s": 0.0, "peak_rss_mb": _peak_rss_mb()})


def measure(target, texts: list[str]) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(texts, queue))
    proc.start()
    result = queue.get()
    proc.join()
    result["chars_per_s"] = result["chars"] / result["seconds"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=4, help="how many times the corpus is repeated")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    texts = load_texts(args.repeat)
    runs: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        for target in (run_ours, run_medspacy):
            r = measure(target, texts)
            runs.setdefault(r["system"], []).append(r)
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}), flush=True)
    r = measure(run_ours_parallel, texts)
    runs.setdefault(r["system"], []).append(r)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}), flush=True)

    summary = {}
    for system, rs in runs.items():
        summary[system] = {
            "chars_per_s": statistics.median(x["chars_per_s"] for x in rs),
            "peak_rss_mb": max(x["peak_rss_mb"] for x in rs),
            "entities": rs[0]["entities"],
            "load_s": statistics.median(x["load_s"] for x in rs),
            "runs": len(rs),
            "worst_s": rs[0].get("worst_s", {}),
        }
    ours = summary["nlp-service"]["chars_per_s"]
    base = summary["medspacy.load() + same lexicon"]["chars_per_s"]
    chars = sum(map(len, texts))
    lines = [
        "## Record analysis throughput",
        "",
        f"Command: `python benchmarks/records_throughput.py --rounds {args.rounds} --repeat {args.repeat} --write`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}  ",
        f"Texts: corpora/notes ({len(texts) // args.repeat} notes) x {args.repeat} = {len(texts)} documents, "
        f"{chars:,} characters; median of {args.rounds} fresh-process runs per system.",
        "",
        "| system | characters/s | peak RSS (MB) | entities found | load (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for system, s in summary.items():
        lines.append(f"| {system} | {s['chars_per_s']:,.0f} | {s['peak_rss_mb']:,.0f} | {s['entities']:,} | {s['load_s']:.1f} |")
    lines += ["", "Worst-case single notes (nlp-service, one process):", ""]
    for name, seconds in summary["nlp-service"]["worst_s"].items():
        lines.append(f"- {name}: {seconds:.2f} s")
    lines += [
        "",
        f"nlp-service / medspaCy: **{ours / base:.2f}x** in one process (target >= 1.0x); "
        f"single-process throughput {ours:,.0f} characters/s (target >= 40,000).",
        "",
        "nlp-service does more per note than the baseline: section detection, request terms, "
        "medication attributes and ICD-10-CM codes, plus the larger ConText rule set.",
        "The 2-process row's peak RSS is the parent's; each forked worker shares the parent's pages.",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section("records_throughput", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

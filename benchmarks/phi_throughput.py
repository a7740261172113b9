"""PHI detection and de-identification throughput, with peak RSS.

Usage: python benchmarks/phi_throughput.py [--rounds 3] [--repeat 4] [--write]

Texts: every gold text of corpora/notes and corpora/phi, repeated ``--repeat`` times. Each
measurement runs in a fresh child process (detection, then de-identification with surrogates and
date shifting); we report the median over ``--rounds`` rounds. A last run detects in two forked
worker processes (one per core of the reference machine). Worst-case single texts of 100,000
characters are timed on their own. With ``--write`` the table replaces the PHI section of
benchmarks/RESULTS.md.
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
SOURCES = [ROOT / "corpora" / "notes" / "gold", ROOT / "corpora" / "phi" / "gold"]
SECRET = {"secret": "benchmark-secret"}

WORST_CASES = {
    "capitalised words, no cues ('Mary Ann Smith Jones ' x 5,000)": ("Mary Ann Smith Jones " * 5000)[:100_000],
    "digits and slashes ('1/2 3/4 5-6 7.8 ' x 6,250)": ("1/2 3/4 5-6 7.8 " * 6250)[:100_000],
    "one line, no spaces ('x' x 100,000)": "x" * 100_000,
}


def load_texts(repeat: int) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for folder in SOURCES for p in sorted(folder.glob("*.txt"))]
    if not texts:
        sys.exit("no gold texts; run `make gold` first")
    return texts * repeat


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(mode: str, texts: list[str], queue: mp.Queue) -> None:
    import nlp_service

    t0 = time.perf_counter()
    service = nlp_service.load_phi(phi=SECRET)
    load_s = time.perf_counter() - t0
    for text in texts[:5]:  # warm-up
        service.findings(text)
    t0 = time.perf_counter()
    if mode == "detect":
        found = sum(len(service.findings(t)) for t in texts)
    else:
        found = sum(len(service.deidentify(t, "surrogate", {"DATE": "shift_dates"}, patient_key="p").findings)
                    for t in texts)
    elapsed = time.perf_counter() - t0
    peak = _peak_rss_mb()
    worst = {}
    if mode == "detect":
        for name, text in WORST_CASES.items():
            t1 = time.perf_counter()
            service.findings(text)
            worst[name] = time.perf_counter() - t1
    queue.put({"system": mode, "chars": sum(map(len, texts)), "docs": len(texts), "seconds": elapsed,
               "findings": found, "load_s": load_s, "peak_rss_mb": peak, "worst_s": worst})


def _detect_chunk(texts: list[str]) -> int:
    import nlp_service

    service = nlp_service.load_phi(phi=SECRET)
    return sum(len(service.findings(t)) for t in texts)


def run_parallel(mode: str, texts: list[str], queue: mp.Queue, workers: int = 2) -> None:
    import nlp_service

    nlp_service.load_phi(phi=SECRET)  # load before forking, as gunicorn's preload does
    chunks = [texts[i::workers] for i in range(workers)]
    with mp.get_context("fork").Pool(workers) as pool:
        pool.map(_detect_chunk, [c[:2] for c in chunks])
        t0 = time.perf_counter()
        found = sum(pool.map(_detect_chunk, chunks))
        elapsed = time.perf_counter() - t0
    queue.put({"system": f"detect, {workers} processes", "chars": sum(map(len, texts)), "docs": len(texts),
               "seconds": elapsed, "findings": found, "load_s": 0.0, "peak_rss_mb": _peak_rss_mb(), "worst_s": {}})


def measure(target, mode: str, texts: list[str]) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(mode, texts, queue))
    proc.start()
    result = queue.get()
    proc.join()
    result["chars_per_s"] = result["chars"] / result["seconds"]
    result["docs_per_s"] = result["docs"] / result["seconds"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    texts = load_texts(args.repeat)
    runs: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        for mode in ("detect", "deidentify"):
            r = measure(run, mode, texts)
            runs.setdefault(r["system"], []).append(r)
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}), flush=True)
    r = measure(run_parallel, "detect", texts)
    runs.setdefault(r["system"], []).append(r)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}), flush=True)

    chars = sum(map(len, texts))
    lines = [
        "## PHI detection and de-identification throughput",
        "",
        f"Command: `python benchmarks/phi_throughput.py --rounds {args.rounds} --repeat {args.repeat} --write`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}  ",
        f"Texts: corpora/notes and corpora/phi ({len(texts) // args.repeat} texts) x {args.repeat} = "
        f"{len(texts)} documents, {chars:,} characters (mean {chars // len(texts):,} per document); "
        f"median of {args.rounds} fresh-process runs.",
        "",
        "| run | documents/s | characters/s | peak RSS (MB) | findings | load (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    summary = {}
    for system, rs in runs.items():
        s = summary[system] = {
            "docs_per_s": statistics.median(x["docs_per_s"] for x in rs),
            "chars_per_s": statistics.median(x["chars_per_s"] for x in rs),
            "peak_rss_mb": max(x["peak_rss_mb"] for x in rs),
            "findings": rs[0]["findings"], "load_s": statistics.median(x["load_s"] for x in rs),
            "worst_s": rs[0]["worst_s"],
        }
        lines.append(f"| {system} | {s['docs_per_s']:,.1f} | {s['chars_per_s']:,.0f} | {s['peak_rss_mb']:,.0f} | "
                     f"{s['findings']:,} | {s['load_s']:.1f} |")
    lines += ["", "Worst-case single texts (detection, one process):", ""]
    for name, seconds in summary["detect"]["worst_s"].items():
        lines.append(f"- {name}: {seconds:.2f} s")
    lines += [
        "",
        f"Detection: **{summary['detect']['chars_per_s']:,.0f} characters/s** in one process (target >= 40,000). "
        "De-identification is detection plus surrogates and date shifting.",
        "The 2-process row's peak RSS is the parent's; each forked worker shares the parent's pages.",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section("phi_throughput", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

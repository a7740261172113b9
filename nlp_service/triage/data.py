"""Labelled text for training: CSV or JSONL in, checked rows out, with errors that name the row or column.

A data file is read whole (strict UTF-8), the text and label columns are checked, and every problem a
user can fix is reported precisely: a missing column (with the ones that exist), an empty text (its
row), a label with a single example (it cannot be both trained and tested), an encoding error (its
byte offset and line). Splits are stratified and seeded, so the same file and seed give the same split.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import Errors


@dataclass(frozen=True)
class Dataset:
    texts: list[str]
    labels: list[str]
    splits: list[str | None]  # "train", "dev", "test" when the file says so, else None
    sha256: str
    source: str

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels))


def _bad(path: str, reason: str, field: str = "data") -> Exception:
    return Errors.INVALID_DATA.error(path=path, reason=reason, errors=[{"field": field, "message": reason}])


def load_dataset(path: str | Path | list[str | Path], text_col: str = "text", label_col: str = "label",
                 split_col: str = "split", min_per_label: int = 2) -> Dataset:
    """Read ``path`` (.csv, .tsv or .jsonl; or several files, concatenated) and check it (E405 naming
    the row or column)."""
    if isinstance(path, list):
        parts = [load_dataset(p, text_col, label_col, split_col, min_per_label=1) for p in path]
        texts = [t for d in parts for t in d.texts]
        labels = [x for d in parts for x in d.labels]
        splits = [x for d in parts for x in d.splits]
        digest = hashlib.sha256("".join(d.sha256 for d in parts).encode()).hexdigest()
        merged = Dataset(texts, labels, splits, digest, " + ".join(d.source for d in parts))
        rare = sorted(label for label, n in Counter(labels).items() if n < min_per_label)
        if rare:
            raise _bad(merged.source, f"label(s) with fewer than {min_per_label} examples: {', '.join(map(repr, rare[:10]))}",
                       label_col)
        return merged
    path = Path(path)
    if path.is_dir():
        raise Errors.NOT_A_FILE.error(path=str(path))
    if not path.is_file():
        raise Errors.INPUT_NOT_FOUND.error(path=str(path))
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _bad(str(path), f"not UTF-8: invalid byte 0x{raw[exc.start]:02x} at byte {exc.start} (line {line}); "
                              "save the file as UTF-8") from None
    rows: list[tuple[int, dict]] = []
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _bad(str(path), f"line {number} is not valid JSON ({exc.msg})", f"line {number}") from None
            if not isinstance(row, dict):
                raise _bad(str(path), f"line {number} is not a JSON object", f"line {number}")
            rows.append((number, row))
        columns = sorted({k for _n, r in rows for k in r})
        what = "line"
    elif path.suffix.lower() in (".csv", ".tsv", ".txt"):
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        try:
            reader = csv.DictReader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
            columns = list(reader.fieldnames or [])
            rows = [(number, row) for number, row in enumerate(reader, start=2)]
        except csv.Error as exc:
            raise _bad(str(path), f"malformed CSV: {exc}") from None
        what = "row"
    else:
        raise _bad(str(path), f"unknown file type {path.suffix!r}: use .csv, .tsv or .jsonl")
    for col in (text_col, label_col):
        if col not in columns:
            raise _bad(str(path), f"no column {col!r}; the columns are: {', '.join(columns) or 'none'}", col)
    if not rows:
        raise _bad(str(path), "no rows")
    texts, labels, splits = [], [], []
    for number, row in rows:
        text, label = row.get(text_col), row.get(label_col)
        if not isinstance(text, str) or not text.strip():
            raise _bad(str(path), f"{what} {number}: {text_col!r} is empty", f"{what} {number}")
        if label is None or (isinstance(label, str) and not label.strip()) or isinstance(label, dict | list):
            raise _bad(str(path), f"{what} {number}: {label_col!r} is empty or not a single value", f"{what} {number}")
        texts.append(text)
        labels.append(str(label).strip())
        split = row.get(split_col)
        splits.append(split.strip().lower() if isinstance(split, str) and split.strip() else None)
    counts = Counter(labels)
    rare = sorted(label for label, n in counts.items() if n < min_per_label)
    if rare:
        raise _bad(str(path), f"label(s) with fewer than {min_per_label} examples: {', '.join(map(repr, rare[:10]))}; "
                              "each label needs examples to train on and to test on", label_col)
    if len(counts) < 2:
        raise _bad(str(path), f"only one label ({next(iter(counts))!r}): a classifier needs at least two", label_col)
    return Dataset(texts, labels, splits, hashlib.sha256(raw).hexdigest(), str(path))


def split_indices(dataset: Dataset, seed: int, test_size: float = 0.2, dev_size: float = 0.1) -> dict[str, list[int]]:
    """train/dev/test row indices: the file's own ``split`` column when it has one for every row, else
    a stratified split seeded by ``seed``."""
    if all(s is not None for s in dataset.splits):
        out: dict[str, list[int]] = {"train": [], "dev": [], "test": []}
        for i, s in enumerate(dataset.splits):
            out.setdefault(s, []).append(i)
        if out["test"] and out["train"]:
            if not out["dev"]:  # carve a dev split from train for calibration
                out["train"], out["dev"] = _stratified(out["train"], dataset.labels, dev_size / (1 - test_size), seed)
            return {k: out[k] for k in ("train", "dev", "test")}
    rest, test = _stratified(list(range(len(dataset.texts))), dataset.labels, test_size, seed)
    train, dev = _stratified(rest, dataset.labels, dev_size / (1 - test_size), seed + 1)
    return {"train": train, "dev": dev, "test": test}


def _stratified(indices: list[int], labels: list[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    import random

    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i in indices:
        by_label.setdefault(labels[i], []).append(i)
    keep, held = [], []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        n = max(1, round(len(group) * fraction)) if len(group) > 1 else 0
        held += group[:n]
        keep += group[n:]
    return sorted(keep), sorted(held)

"""Concept linking: ICD-10-CM codes for problem mentions."""

from __future__ import annotations

import threading
from pathlib import Path

from .icd10cm import MODES, Candidate, CodeSet, IcdLinker, Query, history_cue, normalise, side_of

_LINKERS: dict[tuple[str, str, int, int], IcdLinker] = {}
_LOCK = threading.Lock()


def shared_linker(cache_dir: str | Path = "var/models", backend: str = "auto", neighbours: int = 40,
                  exact_neighbours: int = 10) -> IcdLinker:
    """The process-wide linker for these settings (the code set and its index load once)."""
    key = (str(Path(cache_dir).resolve()), backend, neighbours, exact_neighbours)
    with _LOCK:
        if key not in _LINKERS:
            _LINKERS[key] = IcdLinker(Path(cache_dir), backend, neighbours, exact_neighbours)
        return _LINKERS[key]


__all__ = ["IcdLinker", "CodeSet", "Candidate", "Query", "MODES", "history_cue", "normalise", "side_of",
           "shared_linker"]

"""The recognizer contract and the finding every recognizer returns.

A recognizer is little more than data (patterns, context words, lists) plus ``analyze``. It loads
anything heavy in ``load()``, which the detector calls once, so building a registry costs nothing.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from ..schemas import PhiType


@dataclass(frozen=True, slots=True)
class Finding:
    """One identifier found in the text: where, what, how sure, and which recognizer said so."""

    type: PhiType
    begin: int
    end: int
    score: float
    recognizer: str
    explanation: str = ""


_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\u2019\-]*\.?|[^\sA-Za-z0-9]")


@dataclass
class TextContext:
    """What every recognizer needs about the text, computed once per text."""

    text: str
    lower: str = field(init=False)
    _words: list[tuple[int, int, str]] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.lower = self.text.lower()

    @property
    def words(self) -> list[tuple[int, int, str]]:
        """(begin, end, word) for every word and punctuation mark, lazily."""
        if self._words is None:
            self._words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(self.text)]
        return self._words

    def before(self, position: int, chars: int = 40) -> str:
        """Lower-cased text in front of ``position`` on the same line."""
        start = max(0, position - chars)
        window = self.lower[start:position]
        return window[window.rfind("\n") + 1 :]

    def after(self, position: int, chars: int = 40) -> str:
        """Lower-cased text after ``position`` on the same line."""
        window = self.lower[position : position + chars]
        newline = window.find("\n")
        return window if newline < 0 else window[:newline]


class Recognizer(ABC):
    """A PHI recognizer: ``name``, ``version``, the types it finds, ``load()`` and ``analyze()``."""

    name: str = "recognizer"
    version: str = "1"
    supported_types: tuple[PhiType, ...] = ()

    def __init__(self) -> None:
        self._loaded = False

    def load(self) -> None:
        """Load lists or models (called once, before the first ``analyze``)."""
        self._loaded = True

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self.load()
            self._loaded = True

    @abstractmethod
    def analyze(self, ctx: TextContext) -> list[Finding]:
        """Every identifier of the supported types in ``ctx.text``."""

    def finding(self, kind: PhiType, begin: int, end: int, score: float, why: str) -> Finding:
        return Finding(kind, begin, end, round(min(max(score, 0.0), 1.0), 3), self.name, why)

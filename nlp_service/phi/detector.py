"""PHI detection: the recognizer registry and the detector that runs the active set.

Which recognizers run is configuration (``phi.recognizers``), not code. The detector fails closed:
if any recognizer raises, the whole call fails (E502) rather than return text with PHI left in.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import Errors
from .base import Finding, PhiType, Recognizer, TextContext
from .recognizers import (
    AddressRecognizer,
    AgeRecognizer,
    DateRecognizer,
    EmailRecognizer,
    IdRecognizer,
    NameRecognizer,
    OrganizationRecognizer,
    PhoneRecognizer,
    UrlRecognizer,
)
from .tagger import TaggerRecognizer

log = logging.getLogger("nlp_service.phi")

#: Every recognizer, by its versioned name. A name never changes behaviour; a new one gets ``.v2``.
RECOGNIZERS: dict[str, Callable[..., Recognizer]] = {
    "phi.email.v1": EmailRecognizer,
    "phi.url.v1": UrlRecognizer,
    "phi.phone.v1": PhoneRecognizer,
    "phi.id.v1": IdRecognizer,
    "phi.age.v1": AgeRecognizer,
    "phi.date.v1": DateRecognizer,
    "phi.address.v1": AddressRecognizer,
    "phi.organization.v1": OrganizationRecognizer,
    "phi.names.v1": NameRecognizer,
    "phi.tagger.v1": TaggerRecognizer,
}

#: When two findings of different types overlap with equal scores, the earlier type wins.
TYPE_PRIORITY = [PhiType.EMAIL, PhiType.URL, PhiType.ID, PhiType.PHONE, PhiType.DATE, PhiType.AGE,
                 PhiType.LOCATION, PhiType.ORGANIZATION, PhiType.NAME]


def merge_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Resolve overlaps: same-type overlaps merge into one span; across types the best one wins."""
    by_type: dict[PhiType, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (f.begin, -f.end)):
        group = by_type.setdefault(f.type, [])
        if group and f.begin < group[-1].end:
            last = group[-1]
            best = last if last.score >= f.score else f
            group[-1] = Finding(f.type, last.begin, max(last.end, f.end), max(last.score, f.score),
                                best.recognizer, best.explanation)
        else:
            group.append(f)
    merged = [f for group in by_type.values() for f in group]
    order = sorted(merged, key=lambda f: (-f.score, -(f.end - f.begin), TYPE_PRIORITY.index(f.type), f.begin))
    # greedy: best first, kept when it overlaps nothing kept so far (kept spans stay sorted by begin)
    begins: list[int] = []
    kept: list[Finding] = []
    for f in order:
        i = bisect.bisect_left(begins, f.begin)
        if (i > 0 and kept[i - 1].end > f.begin) or (i < len(kept) and kept[i].begin < f.end):
            continue
        begins.insert(i, f.begin)
        kept.insert(i, f)
    return kept


class ClinicalGuard:
    """The last word on names and places: an eponym is clinical content, whoever proposed it.

    A NAME, ORGANIZATION or LOCATION finding right before an eponym head ("Wilson disease",
    "Jackson-Pratt drain", "Austin Flint murmur", "Miami J collar") is dropped unless a strong cue
    found it (score >= 0.85, as after "Dr."); so is one made of digits only.
    """

    KINDS = frozenset({PhiType.NAME, PhiType.ORGANIZATION, PhiType.LOCATION})

    def __init__(self) -> None:
        from .recognizers import rules

        heads = _alternation_words(rules()["eponym_heads"])
        self.head_after = re.compile(rf"(?:['\u2019]s?)?(?:[ -](?:[A-Z]\.?[ ])?)(?i:{heads})\b")

    def keep(self, text: str, findings: Sequence[Finding]) -> list[Finding]:
        out = []
        for f in findings:
            if f.type in self.KINDS:
                value = text[f.begin : f.end]
                if not any(ch.isalpha() for ch in value):
                    continue
                if f.score < 0.85 and self.head_after.match(text, f.end):
                    continue
            out.append(f)
        return out


def _alternation_words(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


class PhiDetector:
    """Runs the configured recognizers over a text and returns non-overlapping findings."""

    def __init__(self, recognizers: Sequence[str], threshold: float = 0.5,
                 options: Mapping[str, Any] | None = None) -> None:
        """``options``: settings values; a recognizer receives those named in its ``settings_keys``."""
        unknown = [name for name in recognizers if name not in RECOGNIZERS]
        if unknown:
            raise Errors.UNKNOWN_COMPONENT.error(
                kind="PHI recognizer", name=unknown[0], available=", ".join(sorted(RECOGNIZERS))
            )
        options = options or {}
        self.recognizers = []
        for name in recognizers:
            factory = RECOGNIZERS[name]
            keys = getattr(factory, "settings_keys", ())
            self.recognizers.append(factory(**{k: options[k] for k in keys if k in options}))
        self.threshold = threshold
        self.guard = ClinicalGuard()
        for recognizer in self.recognizers:
            recognizer.ensure_loaded()

    def detect(self, text: str) -> list[Finding]:
        """All PHI in ``text``, scored and explained.

        Raises:
            ServiceError: E502 when a recognizer fails (fail closed: no partial result).
        """
        ctx = TextContext(text)
        findings: list[Finding] = []
        for recognizer in self.recognizers:
            try:
                found = recognizer.analyze(ctx)
            except Exception as exc:  # any failure must stop the request, never leak PHI
                log.error("recognizer failed", extra={"code": "E502"}, exc_info=(type(exc), None, exc.__traceback__))
                raise Errors.PHI_DETECTION_FAILED.error(recognizer=recognizer.name) from None
            findings.extend(f for f in found if f.score >= self.threshold and f.end > f.begin)
        return merge_findings(self.guard.keep(text, findings))

"""PHI detection and de-identification: recognizers in a registry, operators by name."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..config import PhiSettings
from ..schemas import DeidentifyResult, PhiFinding
from ..validation import check_text
from .base import Finding, Recognizer, TextContext
from .detector import RECOGNIZERS, PhiDetector, merge_findings
from .operators import OPERATORS, check_operators, deidentify


def load_secret(settings: PhiSettings) -> bytes:
    """The server secret: from settings, else from ``secret_file``, created (mode 600) on first use."""
    if settings.secret:
        return settings.secret.encode("utf-8")
    path = Path(settings.secret_file)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


class PhiService:
    """Finds PHI and de-identifies text. Build once per process; thread-safe for reading."""

    def __init__(self, settings: PhiSettings) -> None:
        self.settings = settings
        self.detector = PhiDetector(settings.recognizers, settings.threshold, settings.model_dump())
        check_operators(settings.default_operator, {})
        self._secret = load_secret(settings)

    def findings(self, text: str) -> list[Finding]:
        return self.detector.detect(check_text(text, self.settings.max_text_chars, allow_empty=False))

    def detect(self, text: str, return_originals: bool = False) -> list[PhiFinding]:
        """PHI findings in ``text`` (values only with ``return_originals``)."""
        return [
            PhiFinding(type=f.type, begin=f.begin, end=f.end, score=f.score, recognizer=f.recognizer,
                       explanation=f.explanation, text=text[f.begin : f.end] if return_originals else None)
            for f in self.findings(text)
        ]

    def deidentify(
        self,
        text: str,
        operator: str | None = None,
        operators: dict[str, str] | None = None,
        patient_key: str | None = None,
        return_originals: bool = False,
    ) -> DeidentifyResult:
        """``text`` with every identifier replaced (see :mod:`nlp_service.phi.operators`).

        >>> import nlp_service
        >>> result = nlp_service.load_phi(phi={"secret": "doctest"}).deidentify("Seen by Dr. Patel on 3/4/21.")
        >>> result.text
        'Seen by Dr. [NAME] on [DATE].'
        """
        check_operators(operator or self.settings.default_operator, operators or {})  # before any work
        found = self.findings(text)
        return deidentify(text, found, self._secret, operator or self.settings.default_operator,
                          operators, patient_key, return_originals)


__all__ = ["PhiService", "PhiDetector", "Recognizer", "Finding", "TextContext", "RECOGNIZERS", "OPERATORS",
           "merge_findings", "deidentify", "load_secret"]

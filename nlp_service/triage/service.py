"""Triage of patient messages: urgency and destination, with red flags, explanations and a cascade.

Models live under ``triage.models_dir`` as ``<task>/<model>/`` artifacts (``task`` is ``urgency`` or
``destination``; ``nlp-service train-triage`` builds them from corpora/triage). A request names one
model, or takes the default cascade: the first tier (Naive Bayes) answers when its calibrated
confidence clears ``triage.cascade_threshold``; otherwise the next tier answers, and so on. Red-flag
rules run on every message and can only raise urgency to ``emergency`` (destination
``emergency_department``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from ..config import TriageSettings
from ..errors import Errors
from ..schemas import RedFlagHit, TokenWeight, TriageResult
from ..validation import check_text
from ..version import __version__
from .models import MODELS, TextClassifier
from .redflags import red_flags

TASKS = ("urgency", "destination")
EMERGENCY, EMERGENCY_DESTINATION = "emergency", "emergency_department"


class TriageService:
    def __init__(self, settings: TriageSettings) -> None:
        self.settings = settings
        self.root = Path(settings.models_dir)
        if not self.root.is_absolute():
            self.root = Path(__file__).resolve().parents[2] / self.root
        self._models: dict[tuple[str, str], TextClassifier] = {}
        self._lock = threading.Lock()

    def available(self) -> list[str]:
        return sorted(name for name in MODELS if all((self.root / t / name / "config.json").is_file() for t in TASKS))

    def model(self, task: str, name: str) -> TextClassifier:
        key = (task, name)
        with self._lock:
            if key not in self._models:
                path = self.root / task / name
                if not (path / "config.json").is_file():
                    raise Errors.MODEL_MISSING.error(path=str(path), command="nlp-service train-triage")
                self._models[key] = TextClassifier.load(path)
            return self._models[key]

    def prepare(self) -> None:
        for name in self.settings.cascade:
            for task in TASKS:
                self.model(task, name)
        for name in self.settings.safety_models:
            self.model("urgency", name)

    def emergency_probability(self, text: str, answer: dict[str, float], cascade: bool) -> float:
        """P(emergency) that the safety check compares with ``emergency_threshold``: in cascade mode the
        mean over ``triage.safety_models`` (several models must agree, so one model's spike is not
        enough); the answering model's own when none are set or a request names one model."""
        names = self.settings.safety_models if cascade else ()
        if not names:
            return answer.get(EMERGENCY, 0.0)
        total = 0.0
        for name in names:
            clf = self.model("urgency", name)
            total += float(clf.predict_proba([text])[0][clf.classes.index(EMERGENCY)])
        return total / len(names)

    def triage(self, text: Any, model: str | None = None, explain: bool = True) -> TriageResult:
        text = check_text(text, self.settings.max_text_chars, allow_empty=False)
        started = time.perf_counter()
        if model is not None and model != "cascade":
            if model not in self.available():
                raise Errors.UNKNOWN_MODEL.error(name=model, choices=", ".join(["cascade", *self.available()]))
            tiers = [model]
        else:
            tiers = list(self.settings.cascade)
        answers: dict[str, tuple[str, dict[str, float], TextClassifier, str]] = {}
        path: list[str] = []
        for task in TASKS:
            for i, name in enumerate(tiers):
                clf = self.model(task, name)
                proba = clf.predict_proba([text])[0]
                best = int(proba.argmax())
                if task == "urgency":
                    path.append(f"{name}:{proba[best]:.2f}")
                last = i == len(tiers) - 1
                if last or proba[best] >= self.settings.cascade_threshold:
                    answers[task] = (clf.classes[best], {c: round(float(p), 4) for c, p in zip(clf.classes, proba, strict=True)},
                                     clf, name)
                    break
        urgency, urgency_p, urgency_model, urgency_name = answers["urgency"]
        destination, destination_p, destination_model, _ = answers["destination"]
        flags = red_flags(text) if self.settings.red_flags else []
        if self.emergency_probability(text, urgency_p, cascade=len(tiers) > 1 or model in (None, "cascade")) >= self.settings.emergency_threshold:
            urgency = EMERGENCY
        if flags:
            urgency, destination = EMERGENCY, EMERGENCY_DESTINATION
        elif urgency == EMERGENCY:
            destination = EMERGENCY_DESTINATION
        explanation = []
        if explain:
            explanation = [TokenWeight(token=t, weight=w) for t, w in urgency_model.explain(text, top=8)]
        return TriageResult(
            urgency=urgency, destination=destination, urgency_probabilities=urgency_p,
            destination_probabilities=destination_p, model=urgency_name, cascade=path,
            red_flags=[RedFlagHit(rule=f.rule, name=f.name, text=f.text, begin=f.begin, end=f.end) for f in flags],
            explanation=explanation, latency_ms=round((time.perf_counter() - started) * 1000, 2), version=__version__,
        )

"""Triage of patient messages: urgency and destination, red flags, a cascade of classifiers."""

from .models import MODELS, TextClassifier, make_model

__all__ = ["MODELS", "TextClassifier", "make_model"]

"""Record analysis: sections, sentences, clinical entities, assertions, medication attributes, codes."""

from .analyzer import RecordAnalyzer, as_terms

__all__ = ["RecordAnalyzer", "as_terms"]

"""Concept linking: ICD-10-CM codes for problem mentions."""

from .icd10cm import Candidate, CodeSet, IcdLinker, normalise, side_of

__all__ = ["IcdLinker", "CodeSet", "Candidate", "normalise", "side_of"]

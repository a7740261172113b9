"""nlp-service: self-hosted clinical NLP.

    >>> import nlp_service
    >>> analyzer = nlp_service.load()
    >>> analyzer.analyze("No fever.").entities[0].assertion.certainty.value
    'negated'
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .config import PhiSettings, RecordsSettings, Settings
    from .phi import PhiService
    from .records import RecordAnalyzer

_LOCK = threading.Lock()
_ANALYZERS: dict[str, RecordAnalyzer] = {}
_PHI: dict[str, PhiService] = {}


def load(config: str | None = None, **overrides: Any) -> RecordAnalyzer:
    """Return the process-wide record analyser for these settings, building it on first use.

    Args:
        config: optional path to a TOML settings file (see ``default_config.toml``).
        **overrides: settings sections as dicts, e.g. ``records={"max_text_chars": 200_000}``.

    Returns:
        RecordAnalyzer: shared by every caller in the process that asks for the same settings.
    """
    from .config import load_settings

    return record_analyzer(load_settings(config, overrides=overrides or None))


def record_analyzer(settings: Settings | RecordsSettings) -> RecordAnalyzer:
    """The process-wide analyser for these settings (built once, then shared). Given only the
    records section, linking and embeddings use their defaults."""
    from ._logging import quiet_third_party
    from .config import EmbeddingSettings, LinkingSettings, RecordsSettings
    from .records import RecordAnalyzer

    if isinstance(settings, RecordsSettings):
        records, linking, embeddings = settings, LinkingSettings(), EmbeddingSettings()
    else:
        records, linking, embeddings = settings.records, settings.linking, settings.embeddings
    key = "|".join(s.model_dump_json() for s in (records, linking, embeddings))
    with _LOCK:
        if key not in _ANALYZERS:
            quiet_third_party()
            _ANALYZERS[key] = RecordAnalyzer(records, linking, embeddings)
        return _ANALYZERS[key]


def load_phi(config: str | None = None, **overrides: Any) -> PhiService:
    """Return the process-wide PHI service (detection and de-identification) for these settings."""
    from .config import load_settings

    return phi_service(load_settings(config, overrides=overrides or None).phi)


def phi_service(settings: PhiSettings) -> PhiService:
    """The process-wide PHI service for these settings (built once, then shared)."""
    from .phi import PhiService

    key = settings.model_dump_json()
    with _LOCK:
        if key not in _PHI:
            _PHI[key] = PhiService(settings)
        return _PHI[key]


__all__ = ["load", "load_phi", "record_analyzer", "phi_service", "__version__"]

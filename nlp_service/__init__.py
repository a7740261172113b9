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
    from .config import RecordsSettings
    from .records import RecordAnalyzer

_LOCK = threading.Lock()
_ANALYZERS: dict[str, RecordAnalyzer] = {}


def load(config: str | None = None, **overrides: Any) -> RecordAnalyzer:
    """Return the process-wide record analyser for these settings, building it on first use.

    Args:
        config: optional path to a TOML settings file (see ``default_config.toml``).
        **overrides: settings sections as dicts, e.g. ``records={"max_text_chars": 200_000}``.

    Returns:
        RecordAnalyzer: shared by every caller in the process that asks for the same settings.
    """
    from .config import load_settings

    return record_analyzer(load_settings(config, overrides=overrides or None).records)


def record_analyzer(settings: RecordsSettings) -> RecordAnalyzer:
    """The process-wide analyser for these record settings (built once, then shared)."""
    from ._logging import quiet_third_party
    from .records import RecordAnalyzer

    key = settings.model_dump_json()
    with _LOCK:
        if key not in _ANALYZERS:
            quiet_third_party()
            _ANALYZERS[key] = RecordAnalyzer(settings)
        return _ANALYZERS[key]


__all__ = ["load", "record_analyzer", "__version__"]

"""Logging setup. Note text never reaches a log: we log sizes, ids and timings only."""

from __future__ import annotations

import json
import logging
import sys
import time


def quiet_third_party() -> None:
    """Silence libraries that log per document (PyRuSH logs DEBUG through loguru)."""
    try:
        from loguru import logger

        logger.remove()
        logger.add(sys.stderr, level="WARNING")
    except ImportError:  # loguru comes with medspaCy; without it there is nothing to silence
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and whitelisted extras."""

    EXTRAS = ("request_id", "method", "path", "status", "duration_ms", "bytes", "entities", "code")

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in self.EXTRAS:
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["error"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(payload)


def configure(level: str = "INFO") -> None:
    """JSON logs on stderr for the service's own loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("nlp_service")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    quiet_third_party()

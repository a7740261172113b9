"""What one request may cost: a per-key rate limit, the body size and the size of batches in it.

- **Rate**: Flask-Limiter with one application-wide limit (``limits.rate``) per principal (API key id
  or ``jwt:<sub>``; the client address when auth is off), counted in ``limits.storage_uri``, by
  default the SQLite storage of ``nlp_service.security.ratelimit``, shared by every gunicorn worker.
  Past it: 429 E223 with ``Retry-After``. Public endpoints and refused requests (401/403) are not
  counted. If the storage fails, requests go through (rate limiting protects capacity, it is not
  access control) and the failure is logged.
- **Body**: read here once, after authentication, and only for endpoints that need a key, so a caller
  without one never makes the service read, hash or parse a body; past ``service.max_body_bytes`` it
  is 413 E105. Its keyed hash (``security.audit.body_digest``) goes to the audit.
- **Batches**: any JSON array or object in the body with more than ``limits.max_batch_items`` items
  (or the endpoint's own cap in ``limits.max_batch_items_by_endpoint``) is 413 E120 naming the field:
  link mentions, record-analysis terms, search filter values, FHIR bundle entries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from ..config import Settings
from ..errors import Errors, ServiceError
from ..security.audit import body_digest
from ..validation import load_json

EXTENSION = "nlp_service.limits"


@dataclass(frozen=True)
class Caps:
    max_items: int
    by_endpoint: dict[str, int] = field(default_factory=dict)
    limiter: Limiter | None = None
    secret: bytes = b""  # keys the audit's body hash

    def for_endpoint(self, endpoint: str) -> int:
        return self.by_endpoint.get(endpoint, self.max_items)


def oversized(value: Any, limit: int) -> tuple[str, int] | None:
    """The first array or object in ``value`` with more than ``limit`` items, as (path, count).

    >>> oversized({"mentions": ["a", "b", "c"], "k": 3}, 2)
    ('mentions', 3)
    >>> oversized({"filters": {"dept": [1, 2, 3]}}, 2)
    ('filters.dept', 3)
    >>> oversized([1, 2], 5) is None
    True
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            children = list(node.items())
        elif isinstance(node, list):
            children = list(enumerate(node))
        else:
            continue
        if len(children) > limit:
            return path or "(body)", len(children)
        stack.extend((f"{path}.{key}" if path else str(key), child) for key, child in children
                     if isinstance(child, dict | list))
    return None


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def _admit() -> None:
    """Read and hash the body (413 past max_body_bytes), then apply the batch caps (413 E120)."""
    if request.url_rule is None or g.get("principal") is None:  # routing errors and public endpoints
        return
    data = request.get_data(cache=True)  # the view's parser gets these bytes again, not a second read
    g.body_bytes = len(data)
    caps: Caps = current_app.extensions[EXTENSION]
    g.body_hmac = body_digest(caps.secret, data) if data else None
    if not data or not _is_json(request.mimetype or ""):
        return
    try:
        parsed = load_json(data)
    except ServiceError:  # not UTF-8, not JSON, a repeated key: the view says so precisely
        return
    g.json_body = parsed  # parsed once: the view takes it from here (api/parsing.request_json)
    limit = caps.for_endpoint(request.endpoint or "")
    found = oversized(parsed, limit)
    if found is not None:
        path, count = found
        raise Errors.TOO_MANY_ITEMS.error(field=path, count=count, limit=limit,
                                          errors=[{"field": path, "message": f"at most {limit} items"}])


def _too_many(exc: RateLimitExceeded) -> Response:
    caps: Caps = current_app.extensions[EXTENSION]
    current = caps.limiter.current_limit if caps.limiter is not None else None
    retry = max(1, int(current.reset_at - time.time())) if current is not None else 1
    from .auth import render_error

    response = render_error(Errors.RATE_LIMITED.error(limit=str(exc.limit.limit), retry_after=retry))
    response.headers["Retry-After"] = str(retry)
    return response


def init_app(app: Flask, settings: Settings, key: Callable[[], str], exempt: Callable[[], bool]) -> None:
    """Register the rate limit (keyed by ``key()``, skipped when ``exempt()``) and the body checks."""
    from ..security import ratelimit  # noqa: F401  (registers the sqlite:// storage scheme with `limits`)

    conf = settings.limits
    limiter = None
    if conf.rate.strip():
        limiter = Limiter(key_func=key, application_limits=[conf.rate], application_limits_exempt_when=exempt,
                          storage_uri=conf.storage_uri, strategy="fixed-window", headers_enabled=True,
                          swallow_errors=True, key_prefix="nlps")
        limiter.init_app(app)
        app.register_error_handler(RateLimitExceeded, _too_many)
    from ..phi import load_secret

    app.extensions[EXTENSION] = Caps(conf.max_batch_items, dict(conf.max_batch_items_by_endpoint), limiter,
                                     load_secret(settings.phi))
    app.before_request(_admit)

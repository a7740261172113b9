"""Request ids and one structured access-log line per request (sizes and timings, never content).

A request that runs past ``limits.request_deadline_s`` gets a second line, a warning, so overruns
show up in monitoring. The deadline is soft: a Python thread cannot be stopped safely mid-request
(the models and indexes it uses are shared by the worker's threads), so a request is never cut off;
what bounds its work are the caps checked before it starts (``service.max_body_bytes``, each
section's ``max_text_chars``, ``records.max_terms``, ``limits.max_batch_items``). gunicorn's worker
timeout only restarts a worker whose main loop stops answering (one stuck holding the GIL): with
gthread workers it does not end a long request either.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("nlp_service.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def init_app(app: Flask, deadline_s: float | None = None) -> None:
    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        g.received = time.time()
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        fields = {
            "request_id": g.get("request_id", "-"), "method": request.method,
            # the route, not the raw path: a path can carry anything a client put in it
            "path": request.url_rule.rule if request.url_rule else "(no route)",
            "status": response.status_code,
            "duration_ms": round(duration, 2), "bytes": request.content_length or 0,
        }
        log.info("request", extra=fields)
        if deadline_s is not None and duration > deadline_s * 1000:
            log.warning("request over deadline", extra=fields)
        return response

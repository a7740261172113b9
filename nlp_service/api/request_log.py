"""Request ids and one structured access-log line per request (sizes and timings, never content)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("nlp_service.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def init_app(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info(
            "request",
            extra={
                "request_id": g.get("request_id", "-"), "method": request.method,
                # the route, not the raw path: a path can carry anything a client put in it
                "path": request.url_rule.rule if request.url_rule else "(no route)",
                "status": response.status_code,
                "duration_ms": round(duration, 2), "bytes": request.content_length or 0,
            },
        )
        return response

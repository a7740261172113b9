"""Prometheus metrics at ``/metrics``: requests and latency per endpoint, and model inference time.

Under gunicorn each worker is a process, so the counters live in prometheus_client's multiprocess
mode: ``nlp-service serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at an empty folder before the workers
fork, and ``/metrics`` adds up every worker's files (serve.py marks a dead worker's gauges). Without
that variable (tests, ``flask run``), the process's own registry is served. Labels are route rules and
model names, never anything a client sent (an unusual HTTP method is counted as OTHER).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

bp = Blueprint("metrics", __name__)
log = logging.getLogger("nlp_service.api")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("nlp_service_requests", "HTTP requests answered, by route, method and status",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("nlp_service_request_duration_seconds", "Time to answer an HTTP request, by route",
                    ["endpoint", "method"], buckets=BUCKETS)
INFERENCE = Histogram("nlp_service_inference_duration_seconds", "Time spent in a model or pipeline, by service",
                      ["service"], buckets=BUCKETS)


@contextmanager
def inference(service: str) -> Iterator[None]:
    """Time the model work of one request: ``with inference("triage"): ...``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        INFERENCE.labels(service).observe(time.perf_counter() - started)


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format: every worker's counters when served by gunicorn."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST})


def init_app(app: Flask) -> None:
    """Register ``/metrics`` and the hooks. Call before the other hooks: Flask runs ``before_request``
    hooks in order and ``after_request`` hooks in reverse, so the timing then spans authentication,
    the body checks and the audit write, and the count sees the final status."""
    app.register_blueprint(bp)

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "(no route)"
        method = request.method if request.method in METHODS else "OTHER"  # a client picks the method: bound the labels
        if endpoint != "/metrics":
            try:
                REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
                LATENCY.labels(endpoint, method).observe(time.perf_counter() - g.get("metrics_started", time.perf_counter()))
            except Exception:  # metrics must never cost a request its answer (or its audit record)
                log.exception("metrics update failed")
        return response

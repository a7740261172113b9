"""Serve the HTTP API with gunicorn: threaded workers, app preloaded so models load once."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from .config import Settings


def default_workers() -> int:
    """One worker per core, at most 8: analysis is CPU-bound and holds the GIL."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


class ServiceApplication(BaseApplication):
    """gunicorn application that builds the Flask app from our settings."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        import gc

        from .api import create_app

        app = create_app(self.settings)
        # the loaded models and lexicons are millions of long-lived objects: move them out of the
        # collector's reach, so a full collection during a request does not walk them (it cost
        # requests up to a second at p99), and so forked workers keep sharing their pages
        gc.collect()
        gc.freeze()
        return app


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    service = settings.service
    return {
        "bind": f"{service.host}:{service.port}",
        "workers": service.workers or default_workers(),
        "threads": service.threads,
        "worker_class": "gthread",
        "preload_app": True,  # load lexicons and models once, share pages with forked workers
        "timeout": 120,
        "graceful_timeout": 30,
        "keepalive": service.keepalive,
        "loglevel": service.log_level.lower(),
        "accesslog": None,  # our own JSON access log carries no content
        "errorlog": "-",
        "control_socket_disable": True,  # no control socket under $HOME
        "child_exit": _child_exit,
    }


def _child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: drop its live gauges from the shared Prometheus files (counters are kept)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def serve(settings: Settings) -> None:
    """Run gunicorn in the foreground until interrupted (SIGTERM shuts down gracefully)."""
    import shutil
    import tempfile

    options = gunicorn_options(settings)
    # /metrics adds up every worker's counters: each process writes its own files in one fresh folder,
    # which must be set before the app (and its metrics) load
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="nlp-service-metrics-")
    # each worker's encoder gets its share of the cores, so workers do not fight over them
    os.environ.setdefault("NLP_SERVICE_ENCODER_THREADS", str(max(1, default_workers() // options["workers"])))
    try:
        ServiceApplication(settings, options).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)

"""Shared fixtures: one analyser per test session, the Flask app, and a real HTTP server."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

import nlp_service
from nlp_service.api import create_app

# keyed hashes and surrogates need a server secret; tests use a fixed one (nothing written under var/)
os.environ.setdefault("NLP_SERVICE__PHI__SECRET", "test-secret")


@pytest.fixture(scope="session")
def analyzer():
    """The default record analyser (lexicons and rules load once per session)."""
    return nlp_service.load()


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory) -> Path:
    """A knowledge-base folder holding the shipped default KB (corpora/kb/default.jsonl), built once."""
    from nlp_service.config import QASettings
    from nlp_service.qa.kb import read_entries
    from nlp_service.qa.service import QAService

    root = tmp_path_factory.mktemp("kb")
    service = QAService(QASettings(data_dir=str(root)))
    source = Path(__file__).resolve().parents[1] / "corpora" / "kb" / "default.jsonl"
    entries, problems = read_entries(source.read_text(encoding="utf-8").splitlines(), str(source))
    assert problems == []
    service.store("default", entries, {})
    service.build("default")
    return root


@pytest.fixture(scope="session")
def app(kb_dir):
    return create_app(records={"max_text_chars": 100_000, "max_terms": 5}, service={"max_body_bytes": 1_000_000},
                      phi={"max_text_chars": 100_000, "secret": "test-secret"}, qa={"data_dir": str(kb_dir)})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app on a real socket (werkzeug's threaded server); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)

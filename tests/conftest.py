"""Shared fixtures: one analyser per test session, the Flask app, a real HTTP server, and the API key
they are called with."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import nlp_service
from nlp_service.api import create_app
from nlp_service.security.keys import KeyStore

from .api import helpers

# keyed hashes and surrogates need a server secret; tests use a fixed one (nothing written under var/)
os.environ.setdefault("NLP_SERVICE__PHI__SECRET", "test-secret")


@pytest.fixture(scope="session", autouse=True)
def api_token(tmp_path_factory) -> Iterator[str]:
    """The token of an admin API key, sent by default by ``tests/api/helpers.py`` and the ``client``.

    API keys, the audit log and rate-limit counters live in a temporary folder named in the
    environment, so every app a test builds and every ``nlp-service`` process it starts uses them
    (and nothing is written under var/). The rate limit is high enough not to get in the way.
    """
    var = tmp_path_factory.mktemp("var")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NLP_SERVICE__AUTH__KEYS_DB", str(var / "keys.sqlite3"))
        env.setenv("NLP_SERVICE__AUTH__AUDIT_DB", str(var / "audit.sqlite3"))
        env.setenv("NLP_SERVICE__AUTH__LOCAL_KEY_FILE", str(var / "local_api_key"))
        env.setenv("NLP_SERVICE__LIMITS__STORAGE_URI", f"sqlite:///{var / 'ratelimit.sqlite3'}")
        env.setenv("NLP_SERVICE__LIMITS__RATE", "100000/minute")
        _key, token = KeyStore(var / "keys.sqlite3").create("tests", ["admin"])
        helpers.AUTH["Authorization"] = f"Bearer {token}"
        try:
            yield token
        finally:
            helpers.AUTH.clear()


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
def client(app, api_token):
    """Flask's test client, sending the admin key."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token}"
    return client


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app on a real socket (werkzeug's threaded server); yields its base URL."""
    with helpers.serve(app) as base:
        yield base

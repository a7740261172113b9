"""The app with the FHIR blueprint registered, on a real socket, and a client for it.

This builds its own app with the same arguments as the shared ``app`` fixture (tests/conftest.py)
and registers ``fhir.bp`` on it when ``create_app`` has not (a blueprint cannot be added to an app
that has already served requests, so the shared one cannot be reused).
Requests carry the session's API key when the shared fixtures provide one (tests/api/helpers.py).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from nlp_service.api import create_app
from nlp_service.api import fhir as fhir_api

FHIR_JSON = "application/fhir+json"


class _QuietHandler(WSGIRequestHandler):
    """No per-request line on stderr (werkzeug's would print the raw path)."""

    def log_request(self, code="-", size="-"):
        pass


def auth_headers() -> dict[str, str]:
    """The session's API key header, when the shared fixtures set one up."""
    from tests.api import helpers

    return dict(getattr(helpers, "AUTH", {}))


@pytest.fixture(scope="session")
def fhir_app(kb_dir):
    app = create_app(records={"max_text_chars": 100_000, "max_terms": 5}, service={"max_body_bytes": 1_000_000},
                     phi={"max_text_chars": 100_000, "secret": "test-secret"}, qa={"data_dir": str(kb_dir)})
    if "fhir" not in app.blueprints:  # once create_app registers it, this is a no-op
        app.register_blueprint(fhir_api.bp)
    return app


@pytest.fixture(scope="session")
def fhir_server(fhir_app) -> Iterator[str]:
    """The FHIR-enabled app on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, fhir_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


Call = Callable[..., tuple[int, dict[str, str], dict]]


@pytest.fixture()
def fhir_call(fhir_server) -> Call:
    """``fhir_call(path, body=None, method="POST", content_type=FHIR_JSON)`` -> (status, headers, JSON body)."""

    def call(path: str, body: bytes | dict | None = None, method: str = "POST",
             content_type: str = FHIR_JSON) -> tuple[int, dict[str, str], dict]:
        if isinstance(body, dict):
            body = json.dumps(body).encode("utf-8")
        headers = {**auth_headers(), **({"Content-Type": content_type} if body is not None else {})}
        req = urllib.request.Request(fhir_server + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.status, dict(resp.headers), json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), json.loads(err.read())

    return call

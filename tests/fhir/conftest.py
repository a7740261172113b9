"""The FHIR endpoints of the shared app, on its real socket, and a client for them.

Requests carry the session's API key (tests/api/helpers.py).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

from ..api.helpers import AUTH

FHIR_JSON = "application/fhir+json"


def auth_headers() -> dict[str, str]:
    """The session's API key header."""
    return dict(AUTH)


@pytest.fixture(scope="session")
def fhir_app(app):
    """The shared app (tests/conftest.py): create_app registers the FHIR blueprint."""
    assert "fhir" in app.blueprints
    return app


@pytest.fixture(scope="session")
def fhir_server(live_server) -> str:
    """The shared app on a real socket (tests/api/helpers.serve)."""
    return live_server


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

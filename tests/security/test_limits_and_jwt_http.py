"""Rate limits and bearer JWTs over real HTTP, on a second app built with a small limit and an
identity provider's key set made in the test."""

from __future__ import annotations

import json

import pytest

from nlp_service.api import create_app

from ..api.helpers import call, get, post, serve
from .jwt_helpers import AUDIENCE, ISSUER, rsa_key, token, write_jwks


@pytest.fixture(scope="module")
def idp_key():
    return rsa_key()


@pytest.fixture(scope="module")
def strict(tmp_path_factory, kb_dir, idp_key):
    """(base URL, app): 3 requests a minute per key; JWTs from ISSUER accepted."""
    var = tmp_path_factory.mktemp("strict")
    jwks = write_jwks(var / "jwks.json", ("idp-1", idp_key))
    app = create_app(records={"max_text_chars": 100_000, "max_terms": 5}, service={"max_body_bytes": 1_000_000},
                     phi={"max_text_chars": 100_000, "secret": "test-secret"}, qa={"data_dir": str(kb_dir)},
                     auth={"keys_db": str(var / "keys.sqlite3"), "audit_db": str(var / "audit.sqlite3"),
                           "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE, "jwt_jwks_file": str(jwks)},
                     limits={"rate": "3/minute", "storage_uri": f"sqlite:///{var / 'ratelimit.sqlite3'}"})
    with serve(app) as base:
        yield base, app


def _bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def test_the_rate_limit_is_per_key_with_retry_after(strict):
    base, app = strict
    store = app.extensions["nlp_service.auth"].keys
    key_a, token_a = store.create("a", ["qa"])
    _key_b, token_b = store.create("b", ["qa"])
    statuses = [get(base, "/v1/kbs", headers=_bearer(token_a), auth=False)[0] for _ in range(3)]
    assert statuses == [200, 200, 200]
    status, headers, body = get(base, "/v1/kbs", headers=_bearer(token_a), auth=False)
    assert (status, body["code"], body["status"]) == (429, "E223", 429)
    assert headers["Content-Type"] == "application/problem+json"
    assert 1 <= int(headers["Retry-After"]) <= 60 and "3 per 1 minute" in body["detail"]
    assert headers["X-RateLimit-Limit"] == "3" and headers["X-RateLimit-Remaining"] == "0"
    # another key has its own budget; public endpoints and refused requests are not counted
    assert get(base, "/v1/kbs", headers=_bearer(token_b), auth=False)[0] == 200
    assert [call(base, "/healthz", auth=False)[0] for _ in range(5)] == [200] * 5
    assert [call(base, "/v1/kbs", auth=False)[0] for _ in range(5)] == [401] * 5
    audit = app.extensions["nlp_service.auth"].audit.query(key_id=key_a.key_id, limit=None)
    assert [r["status"] for r in audit] == [200, 200, 200, 429]


def test_jwt_scopes_and_subject_over_http(strict, idp_key):
    base, app = strict
    good = token(idp_key, kid="idp-1", sub="epic-prod", scope="openid qa")
    status, _h, body = post(base, "/v1/qa", json.dumps({"question": "what is asthma", "k": 1}).encode(),
                            headers=_bearer(good), auth=False)
    assert status == 200 and body["answers"]
    status, _h, body = post(base, "/v1/triage", b'{"text": "x"}', headers=_bearer(good), auth=False)
    assert (status, body["code"]) == (403, "E222")
    for bad, reason in ((token(idp_key, kid="idp-1", aud="someone-else"), "another audience"),
                        (token(rsa_key(), kid="idp-1"), "signature"),
                        (token(idp_key, kid="idp-1", exp=1), "expired")):
        status, headers, body = post(base, "/v1/qa", b'{"question": "x"}', headers=_bearer(bad), auth=False)
        assert (status, body["code"]) == (401, "E221") and reason in body["detail"]
        assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    records = app.extensions["nlp_service.auth"].audit.query(key_id="jwt:epic-prod", limit=None)
    assert [(r["endpoint"], r["status"]) for r in records] == [("/v1/qa", 200), ("/v1/triage", 403)]
    # a JWT subject has its own rate-limit budget like a key (3 a minute; the 403 did not count)
    statuses = [get(base, "/v1/kbs", headers=_bearer(good), auth=False)[0] for _ in range(3)]
    assert statuses == [200, 200, 429]

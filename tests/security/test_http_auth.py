"""Access control and the audit log over real HTTP, on the session's app (tests/conftest.py).

The matrix walks ``app.url_map``: every endpoint any blueprint registers is checked, so a new one
cannot slip through open.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from nlp_service.api.auth import required_scope
from nlp_service.security import SCOPES
from nlp_service.security.audit import body_digest

from ..api.helpers import AUTH, call, post

BODY_METHODS = {"POST", "PUT", "PATCH"}


@pytest.fixture(scope="module")
def tokens(app):
    """A key per scope, and a revoked admin key, in the app's key store."""
    store = app.extensions["nlp_service.auth"].keys
    out = {scope: store.create(f"matrix {scope}", [scope])[1] for scope in SCOPES}
    revoked, out["revoked"] = store.create("matrix revoked", ["admin"])
    store.revoke(revoked.key_id)
    return out


def _routes(app):
    """(rule, method, endpoint) of every registered route, with a concrete path for the rule."""
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.rule, re.sub(r"<[^>]+>", "x", rule.rule), method, rule.endpoint


def _send(base, path, method, token):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return call(base, path, b"{}" if method in BODY_METHODS else None, method, headers, auth=False)[0]


def test_auth_matrix_over_every_registered_endpoint(app, live_server, tokens):
    seen, problems = set(), []
    for rule, path, method, endpoint in _routes(app):
        seen.add(endpoint)
        scope = required_scope(endpoint, rule)
        if scope is None:  # public: nobody is turned away, whatever they send
            got = {case: _send(live_server, path, method, token)
                   for case, token in (("none", None), ("revoked", tokens["revoked"]))}
            if any(status in (401, 403) for status in got.values()):
                problems.append(f"{method} {rule} (public): {got}")
            continue
        wrong = next(t for s, t in tokens.items() if s not in (scope, "admin", "revoked"))
        got = {"none": _send(live_server, path, method, None), "wrong": _send(live_server, path, method, wrong),
               "right": _send(live_server, path, method, tokens[scope]),
               "admin": _send(live_server, path, method, tokens["admin"]),
               "revoked": _send(live_server, path, method, tokens["revoked"])}
        ok = (got["none"] == 401 and got["wrong"] == 403 and got["revoked"] == 401
              and got["right"] not in (401, 403) and got["admin"] not in (401, 403))
        if not ok:
            problems.append(f"{method} {rule} needs {scope}: {got}")
    assert not problems, "\n".join(problems)
    assert {"records.analyze", "phi.deidentify", "phi.detect", "linking.link", "triage.triage", "qa.qa", "qa.kbs",
            "search.search", "search.indexes", "search.index_info", "health.healthz"} <= seen


def test_scope_map_names_every_v1_endpoint(app):
    """No /v1 endpoint falls through to the admin-only default by accident."""
    from nlp_service.api.auth import BLUEPRINT_SCOPES, ENDPOINT_SCOPES

    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/"):
            assert rule.endpoint in ENDPOINT_SCOPES or rule.endpoint.rpartition(".")[0] in BLUEPRINT_SCOPES, rule.rule


def test_401_and_403_are_problem_details_with_a_challenge(live_server, tokens):
    status, headers, raw = call(live_server, "/v1/triage", b'{"text": "x"}', "POST",
                                {"Content-Type": "application/json"}, auth=False)
    body = json.loads(raw)
    assert (status, body["code"], body["status"]) == (401, "E220", 401)
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["WWW-Authenticate"] == 'Bearer realm="nlp-service"'
    assert headers["X-Request-ID"]
    for token, reason in ((tokens["revoked"], "unknown or revoked"), ("nlps_0123456789ab_" + "a" * 52, "unknown or revoked"),
                          ("not-a-key", "not an API key")):
        status, headers, body = post(live_server, "/v1/triage", b'{"text": "x"}', auth=False,
                                     headers={"Authorization": f"Bearer {token}"})
        assert (status, body["code"]) == (401, "E221") and reason in body["detail"]
        assert 'error="invalid_token"' in headers["WWW-Authenticate"]
        assert token not in json.dumps(body)  # the token is never echoed
    status, headers, body = post(live_server, "/v1/triage", b'{"text": "x"}', auth=False,
                                 headers={"Authorization": f"Bearer {tokens['records']}"})
    assert (status, body["code"]) == (403, "E222") and "'triage'" in body["detail"]
    assert headers["WWW-Authenticate"] == 'Bearer realm="nlp-service", error="insufficient_scope", scope="triage"'


def test_x_api_key_and_bearer_spelling(live_server, tokens):
    payload = json.dumps({"text": "refill please"}).encode()
    assert post(live_server, "/v1/triage", payload, auth=False, headers={"X-API-Key": tokens["triage"]})[0] == 200
    assert post(live_server, "/v1/triage", payload, auth=False, headers={"Authorization": f"bearer {tokens['triage']}"})[0] == 200
    status, _h, body = post(live_server, "/v1/triage", payload, auth=False, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert (status, body["code"]) == (401, "E221")


def test_unknown_routes_and_methods_need_no_key(live_server):
    status, _h, raw = call(live_server, "/v1/nothing", auth=False)
    assert status == 404 and json.loads(raw)["code"] == "E200"
    status, headers, raw = call(live_server, "/v1/triage", method="GET", auth=False)
    assert status == 405 and json.loads(raw)["code"] == "E201"
    assert call(live_server, "/healthz", auth=False)[0] == 200


def _request_id(i: int) -> str:
    return f"audit-test-{i}"


def test_every_request_gets_exactly_one_audit_record(app, live_server, tokens, monkeypatch):
    audit = app.extensions["nlp_service.auth"].audit
    keys = {k.name: k.key_id for k in app.extensions["nlp_service.auth"].keys.list()}
    admin_id = AUTH["Authorization"].split("_")[1]
    json_ct = {"Content-Type": "application/json"}
    triage = json.dumps({"text": "refill please"}).encode()
    too_many = json.dumps({"mentions": ["HTN"] * 1001}).encode()
    cases = [  # method, path, body, headers, auth, status, rule, key id
        ("GET", "/healthz", None, {}, False, 200, "/healthz", None),
        ("POST", "/v1/triage", triage, json_ct, True, 200, "/v1/triage", admin_id),
        ("POST", "/v1/triage", triage, json_ct, False, 401, "/v1/triage", None),
        ("POST", "/v1/triage", triage, {**json_ct, "Authorization": f"Bearer {tokens['revoked']}"}, False, 401, "/v1/triage", None),
        ("POST", "/v1/triage", triage, {**json_ct, "Authorization": f"Bearer {tokens['qa']}"}, False, 403, "/v1/triage",
         keys["matrix qa"]),
        ("GET", "/v1/nothing/at/all", None, {}, True, 404, "(no route)", None),
        ("DELETE", "/v1/triage", None, {}, True, 405, "(no route)", None),
        ("POST", "/v1/records/analyze", b"x" * 1_000_001, json_ct, True, 413, "/v1/records/analyze", admin_id),
        ("POST", "/v1/link", too_many, json_ct, True, 413, "/v1/link", admin_id),
        ("POST", "/v1/triage", b"{", json_ct, True, 400, "/v1/triage", admin_id),
        ("POST", "/v1/triage", b"text=x", {"Content-Type": "application/x-www-form-urlencoded"}, True, 415, "/v1/triage", admin_id),
        ("GET", "/v1/indexes/absent", None, {}, True, 404, "/v1/indexes/<name>", admin_id),
        ("POST", "/v1/triage", triage, json_ct, True, 500, "/v1/triage", admin_id),
    ]
    service = app.extensions["nlp_service.triage"]
    before = audit.last_seq()
    for i, (method, path, body, headers, auth, status, _rule, _key) in enumerate(cases):
        if status == 500:
            monkeypatch.setattr(service, "triage", lambda *a, **k: 1 / 0)
        got, resp_headers, _raw = call(live_server, path, body, method, {**headers, "X-Request-ID": _request_id(i)}, auth)
        assert got == status, (i, path, got)
        assert resp_headers["X-Request-ID"] == _request_id(i)
    records = audit.query(after_seq=before, limit=None)
    assert len(records) == len(cases)
    for i, (record, (method, _path, body, _h, _a, status, rule, key_id)) in enumerate(zip(records, cases, strict=True)):
        assert (record["request_id"], record["method"], record["status"], record["endpoint"], record["key_id"]) == \
            (_request_id(i), method, status, rule, key_id), record
        assert record["client"] == "127.0.0.1" and record["latency_ms"] >= 0 and record["time"].endswith("Z")
        assert record["response_bytes"] > 0
        read = status not in (401, 403, 404, 405) and not (status == 413 and len(body or b"") > 1_000_000)
        if read and body and rule != "(no route)":  # the body was read: its hash, never the text
            # keyed with the server secret (the app's phi.secret): not confirmable by hashing a guess
            assert record["body_hmac"] == body_digest(b"test-secret", body) != hashlib.sha256(body).hexdigest()
            assert record["request_bytes"] == len(body)
        else:
            assert record["body_hmac"] is None
    assert audit.verify()["ok"]


def test_batch_caps(live_server):
    status, _h, body = post(live_server, "/v1/link", json.dumps({"mentions": ["HTN"] * 1001}).encode())
    assert (status, body["code"]) == (413, "E120")
    assert body["errors"] == [{"field": "mentions", "message": "at most 1000 items"}] and "1001" in body["detail"]
    payload = {"index": "notes", "query": "x", "filters": {"dept": [f"d{i}" for i in range(1001)]}}
    status, _h, body = post(live_server, "/v1/search", json.dumps(payload).encode())
    assert (status, body["code"], body["errors"][0]["field"]) == (413, "E120", "filters.dept")
    terms = [{"text": f"t{i}", "category": "PROBLEM"} for i in range(6)]  # records.max_terms is 5 in this app
    status, _h, body = post(live_server, "/v1/records/analyze", json.dumps({"text": "x", "terms": terms}).encode())
    assert (status, body["code"]) == (400, "E107")
    status, _h, body = post(live_server, "/v1/link", json.dumps({"mentions": ["HTN"] * 3}).encode())
    assert status == 200 and len(body["mentions"]) == 3

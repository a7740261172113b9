"""The auth and limits hooks on a small Flask app (no models): auth turned off, the soft deadline,
and rate-limit counters shared by two apps (as by two gunicorn workers) through the SQLite storage."""

from __future__ import annotations

import logging
import time

import pytest
from flask import Blueprint, Flask, jsonify

from nlp_service.api import auth, errors, request_log
from nlp_service.config import load_settings


def small_app(tmp_path, auth_settings=None, limits_settings=None, name="small"):
    settings = load_settings(environ={}, overrides={
        "auth": {"keys_db": str(tmp_path / "keys.sqlite3"), "audit_db": str(tmp_path / "audit.sqlite3"),
                 **(auth_settings or {})},
        "limits": {"storage_uri": f"sqlite:///{tmp_path / 'rl.sqlite3'}", **(limits_settings or {})}})
    app = Flask(name)
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    errors.init_app(app)
    request_log.init_app(app, settings.limits.request_deadline_s)
    auth.init_app(app, settings)
    bp = Blueprint("triage", name, url_prefix="/v1")

    @bp.post("/triage")
    def triage():
        return jsonify(ok=True)

    @bp.get("/slow")
    def slow():
        time.sleep(0.2)
        return jsonify(ok=True)

    app.register_blueprint(bp)
    return app


def test_with_auth_off_everything_is_open_and_still_audited(tmp_path):
    app = small_app(tmp_path, {"enabled": False})
    response = app.test_client().post("/v1/triage", json={"text": "x"})
    assert response.status_code == 200
    [record] = app.extensions["nlp_service.auth"].audit.query()
    assert record["key_id"] is None and record["status"] == 200 and record["endpoint"] == "/v1/triage"


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_request_over_the_deadline_is_logged(tmp_path):
    app = small_app(tmp_path, limits_settings={"request_deadline_s": 0.05})
    token = app.extensions["nlp_service.auth"].keys.create("t", ["triage"])[1]
    access, handler = logging.getLogger("nlp_service.access"), ListHandler()
    access.addHandler(handler)
    try:
        assert app.test_client().get("/v1/slow", headers={"X-API-Key": token}).status_code == 200
        assert app.test_client().post("/v1/triage", json={}, headers={"X-API-Key": token}).status_code == 200
    finally:
        access.removeHandler(handler)
    warnings = [r for r in handler.records if r.levelno == logging.WARNING]
    assert [(r.getMessage(), r.path) for r in warnings] == [("request over deadline", "/v1/slow")]


def test_two_apps_share_one_rate_limit_through_sqlite(tmp_path):
    first = small_app(tmp_path, limits_settings={"rate": "3/minute"}, name="worker1")
    second = small_app(tmp_path, limits_settings={"rate": "3/minute"}, name="worker2")
    token = first.extensions["nlp_service.auth"].keys.create("t", ["triage"])[1]
    headers = {"Authorization": f"Bearer {token}"}
    statuses = [app.test_client().post("/v1/triage", json={}, headers=headers).status_code
                for app in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("body", [b"x" * 10_001])
def test_an_oversized_body_is_413_only_after_authentication(tmp_path, body):
    app = small_app(tmp_path)
    token = app.extensions["nlp_service.auth"].keys.create("t", ["triage"])[1]
    client = app.test_client()
    assert client.post("/v1/triage", data=body, content_type="application/json").status_code == 401
    response = client.post("/v1/triage", data=body, content_type="application/json", headers={"X-API-Key": token})
    assert response.status_code == 413 and response.json["code"] == "E105"
    records = app.extensions["nlp_service.auth"].audit.query()
    assert [(r["status"], r["body_hmac"], r["request_bytes"]) for r in records] == [(401, None, 10_001), (413, None, 10_001)]


def test_audit_failure_withholds_the_result(tmp_path, monkeypatch):
    app = small_app(tmp_path)
    token = app.extensions["nlp_service.auth"].keys.create("t", ["triage"])[1]

    def broken(record):
        raise OSError("disk full")

    monkeypatch.setattr(app.extensions["nlp_service.auth"].audit, "append", broken)
    response = app.test_client().post("/v1/triage", json={}, headers={"X-API-Key": token})
    assert response.status_code == 503 and response.json["code"] == "E510"
    assert "ok" not in response.get_data(as_text=True)

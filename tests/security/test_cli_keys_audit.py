"""`nlp-service keys create|list|revoke|ensure-local` and `nlp-service audit`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from nlp_service.cli import main
from nlp_service.security.audit import AuditLog
from nlp_service.security.keys import KeyStore

from .test_stores import record

BIN = Path(sys.executable).parent / "nlp-service"


@pytest.fixture()
def var(tmp_path, monkeypatch):
    monkeypatch.setenv("NLP_SERVICE__AUTH__KEYS_DB", str(tmp_path / "keys.sqlite3"))
    monkeypatch.setenv("NLP_SERVICE__AUTH__AUDIT_DB", str(tmp_path / "audit.sqlite3"))
    monkeypatch.setenv("NLP_SERVICE__AUTH__LOCAL_KEY_FILE", str(tmp_path / "local" / "api_key"))
    return tmp_path


def test_keys_create_list_revoke(var, capsys):
    assert main(["keys", "create", "--name", "Epic bridge", "--scopes", "records,qa"]) == 0
    out = capsys.readouterr()
    created = json.loads(out.out)
    assert created["scopes"] == ["records", "qa"] and created["revoked_at"] is None
    assert "shown again" in out.err
    token, key_id = created["token"], created["key_id"]
    assert KeyStore(var / "keys.sqlite3").authenticate(token).key_id == key_id
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert json.loads(listed)[0]["key_id"] == key_id and "token" not in json.loads(listed)[0]
    assert token.rsplit("_", 1)[1] not in listed
    assert main(["keys", "revoke", key_id]) == 0
    assert json.loads(capsys.readouterr().out)["revoked_at"]
    assert KeyStore(var / "keys.sqlite3").authenticate(token) is None
    assert main(["keys", "revoke", "0123456789ab"]) == 2
    assert "[E420]" in capsys.readouterr().err


def test_keys_create_refuses_unknown_scopes(var, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["keys", "create", "--name", "x", "--scopes", "records,write"])
    assert exit_info.value.code == 2
    assert "Unknown scope 'write'" in capsys.readouterr().err
    assert KeyStore(var / "keys.sqlite3").list() == []


def test_keys_ensure_local_creates_once_with_mode_600(var, capsys):
    assert main(["keys", "ensure-local"]) == 0
    token = capsys.readouterr().out.strip()
    path = var / "local" / "api_key"
    assert path.read_text().strip() == token and path.stat().st_mode & 0o777 == 0o600
    store = KeyStore(var / "keys.sqlite3")
    assert store.authenticate(token).scopes == ("admin",)
    assert main(["keys", "ensure-local"]) == 0  # again: the same key
    assert capsys.readouterr().out.strip() == token and len(store.list()) == 1
    store.revoke(store.list()[0].key_id)  # revoked (or another keys_db): a new key replaces it
    assert main(["keys", "ensure-local"]) == 0
    fresh = capsys.readouterr().out.strip()
    assert fresh != token and store.authenticate(fresh) is not None and path.read_text().strip() == fresh


def test_keys_ensure_local_in_a_real_process(var):
    proc = subprocess.run([str(BIN), "keys", "ensure-local"], capture_output=True, timeout=120, env={**os.environ})
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().strip() == (var / "local" / "api_key").read_text().strip()
    assert b"Authorization: Bearer" in proc.stderr


def test_audit_query_filters_and_formats(var, capsys):
    audit = AuditLog(var / "audit.sqlite3")
    audit.append(record(1, time="2026-11-27T23:59:59.000Z"))
    audit.append(record(2, time="2026-11-28T08:00:00.000Z"))
    audit.append(record(3, time="2026-11-28T09:00:00.000Z", key_id="ffffffffffff", status=403))
    audit.append(record(4, time="2026-11-28T10:00:00.000Z"))
    assert main(["audit", "--since", "2026-11-28T00:00", "--key", "0123456789ab", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["request_id"] for r in rows] == ["req-2", "req-4"]
    assert set(rows[0]) >= {"time", "request_id", "key_id", "method", "endpoint", "status", "body_hmac",
                            "request_bytes", "response_bytes", "latency_ms", "client"}
    assert main(["audit", "--since", "2026-11-28T00:00", "--limit", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("time\trequest_id\tkey_id") and len(lines) == 2 and "req-4" in lines[1]
    assert main(["audit", "--until", "2026-11-28T00:00Z", "--json"]) == 0
    assert [r["request_id"] for r in json.loads(capsys.readouterr().out)] == ["req-1"]
    assert main(["audit", "--since", "yesterday"]) == 2
    assert "[E101]" in capsys.readouterr().err


def test_audit_digest_matches_what_the_log_holds(var, capsys, tmp_path, monkeypatch):
    from nlp_service.security.audit import body_digest

    monkeypatch.setenv("NLP_SERVICE__PHI__SECRET", "digest-secret")
    body = tmp_path / "request.json"
    body.write_bytes(b'{"text": "MRN 48213967"}')
    assert main(["audit", "--digest", str(body)]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == body_digest(b"digest-secret", body.read_bytes()) and "48213967" not in printed
    assert main(["audit", "--digest", str(tmp_path / "missing.json")]) == 2
    assert "[E400]" in capsys.readouterr().err


def test_audit_verify(var, capsys):
    audit = AuditLog(var / "audit.sqlite3")
    for i in range(3):
        audit.append(record(i))
    assert main(["audit", "--verify"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 3
    conn = sqlite3.connect(var / "audit.sqlite3")
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE seq = 2")
    conn.commit()
    conn.close()
    assert main(["audit", "--verify"]) == 1
    assert json.loads(capsys.readouterr().out)["first_bad_seq"] == 3

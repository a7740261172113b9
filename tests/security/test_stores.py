"""The key store, the audit log and the rate-limit storage, without Flask: what is on disk, what they
refuse, and that concurrent writers in separate processes lose nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from nlp_service.errors import ServiceError
from nlp_service.security import Principal, parse_scopes
from nlp_service.security.audit import AuditLog, AuditRecord, parse_time
from nlp_service.security.keys import KeyStore, split_token
from nlp_service.security.ratelimit import SQLiteStorage

ROOT = Path(__file__).resolve().parents[2]


def _files(db: Path) -> bytes:
    """The database with its WAL and shared-memory files, as bytes."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def record(i: int = 0, **changes) -> AuditRecord:
    fields = {"time": f"2026-11-28T10:00:{i % 60:02d}.000Z", "request_id": f"req-{i}", "key_id": "0123456789ab",
              "method": "POST", "endpoint": "/v1/records/analyze", "status": 200, "body_hmac": "ab" * 32,
              "request_bytes": 120, "response_bytes": 900, "latency_ms": 12.5, "client": "127.0.0.1"}
    return AuditRecord(**{**fields, **changes})


# -- keys -----------------------------------------------------------------------------------------
def test_a_created_key_authenticates_and_only_its_hash_is_on_disk(tmp_path):
    store = KeyStore(tmp_path / "keys.sqlite3")
    key, token = store.create("Epic bridge", "qa,records")
    key_id, secret = split_token(token)
    assert key.key_id == key_id and key.scopes == ("records", "qa") and key.active
    assert token.startswith(f"nlps_{key_id}_") and len(secret) == 52
    assert store.authenticate(token) == key
    assert store.authenticate(token).principal() == Principal(key_id, frozenset({"records", "qa"}), "key")
    on_disk = _files(tmp_path / "keys.sqlite3")
    assert key_id.encode() in on_disk  # the id is not secret
    assert secret.encode() not in on_disk and token.encode() not in on_disk
    assert secret.upper().encode() not in on_disk
    assert (tmp_path / "keys.sqlite3").stat().st_mode & 0o777 == 0o600


def test_wrong_secret_unknown_id_malformed_and_revoked_tokens_fail(tmp_path):
    store = KeyStore(tmp_path / "keys.sqlite3")
    key, token = store.create("a", ["triage"])
    other = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert store.authenticate(other) is None
    assert store.authenticate("nlps_000000000000_" + token.rsplit("_", 1)[1]) is None
    for bad in ("", "nlps_", token + "x", token.upper(), "Bearer " + token):
        assert store.authenticate(bad) is None
    revoked = store.revoke(key.key_id)
    assert revoked.revoked_at and not revoked.active
    assert store.authenticate(token) is None
    # a second revoke keeps the first date; an unknown id is E420
    assert store.revoke(key.key_id).revoked_at == revoked.revoked_at
    with pytest.raises(ServiceError) as err:
        store.revoke("ffffffffffff")
    assert err.value.code == "E420"


def test_revocation_is_seen_by_another_store_on_the_same_file_at_once(tmp_path):
    first, second = KeyStore(tmp_path / "k.sqlite3"), KeyStore(tmp_path / "k.sqlite3")
    key, token = first.create("shared", ["admin"])
    assert second.authenticate(token) is not None
    first.revoke(key.key_id)
    assert second.authenticate(token) is None


def test_list_never_shows_a_secret_and_scopes_are_checked(tmp_path):
    store = KeyStore(tmp_path / "keys.sqlite3")
    _key, token = store.create("one", ["admin"])
    store.create("two", "search deidentify")
    listed = [k.as_dict() for k in store.list()]
    assert [k["name"] for k in listed] == ["one", "two"]
    assert listed[1]["scopes"] == ["deidentify", "search"]
    assert token.rsplit("_", 1)[1] not in repr(listed)
    with pytest.raises(ServiceError) as err:
        store.create("bad", ["records", "write"])
    assert err.value.code == "E421" and "admin" in err.value.detail
    with pytest.raises(ServiceError):
        store.create("  ", ["records"])
    assert parse_scopes("admin") == ("admin",)
    assert Principal("k", frozenset({"admin"})).allows("search")


# -- audit ----------------------------------------------------------------------------------------
def test_audit_appends_and_queries_by_time_and_key(tmp_path):
    audit = AuditLog(tmp_path / "audit.sqlite3")
    audit.append(record(1))
    audit.append(record(2, key_id="ffffffffffff", status=401, body_hmac=None))
    audit.append(record(3, time="2026-11-29T08:00:00.000Z"))
    assert [r["request_id"] for r in audit.query()] == ["req-1", "req-2", "req-3"]
    assert [r["request_id"] for r in audit.query(key_id="ffffffffffff")] == ["req-2"]
    assert [r["request_id"] for r in audit.query(since=parse_time("2026-11-29"))] == ["req-3"]
    assert [r["request_id"] for r in audit.query(until=parse_time("2026-11-28T10:00:02"))] == ["req-1"]
    assert [r["request_id"] for r in audit.query(limit=2)] == ["req-2", "req-3"]  # the most recent two
    assert audit.query()[1]["status"] == 401 and audit.query()[1]["body_hmac"] is None
    assert audit.verify()["ok"] and audit.verify()["records"] == 3


def test_audit_is_append_only(tmp_path):
    path = tmp_path / "audit.sqlite3"
    AuditLog(path).append(record(1))
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET status = 200 WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit")
    conn.close()
    assert AuditLog(path).query()[0]["request_id"] == "req-1"


def test_audit_chain_detects_a_record_changed_behind_the_triggers(tmp_path):
    path = tmp_path / "audit.sqlite3"
    audit = AuditLog(path)
    for i in range(5):
        audit.append(record(i))
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("UPDATE audit SET status = 200, key_id = NULL WHERE seq = 3")
    conn.commit()
    conn.close()
    report = audit.verify()
    assert report == {"ok": False, "records": 2, "first_bad_seq": 3, "head": report["head"]}


def _run_writers(script: str, n: int) -> None:
    """Run ``script`` in two processes at once (they start together on a go file)."""
    go = Path(script.split("GO=")[1].split("\n")[0].strip().strip("'\""))
    procs = [subprocess.Popen([sys.executable, "-c", script, str(w), str(n)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for w in range(2)]
    time.sleep(0.5)
    go.touch()
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()


def test_two_processes_appending_at_once_lose_no_record(tmp_path):
    path, go = tmp_path / "audit.sqlite3", tmp_path / "go"
    AuditLog(path)
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from nlp_service.security.audit import AuditLog, AuditRecord
        GO='{go}'
        worker, n = sys.argv[1], int(sys.argv[2])
        audit = AuditLog('{path}')
        while not Path(GO).exists():
            time.sleep(0.01)
        for i in range(n):
            audit.append(AuditRecord('2026-11-28T10:00:00.000Z', f'w{{worker}}-{{i}}', None, 'GET', '/healthz',
                                     200, None, 0, 10, 0.1, '127.0.0.1'))
    """)
    _run_writers(script, 200)
    audit = AuditLog(path)
    ids = [r["request_id"] for r in audit.query(limit=None)]
    assert len(ids) == 400 and set(ids) == {f"w{w}-{i}" for w in range(2) for i in range(200)}
    assert audit.verify() == {"ok": True, "records": 400, "first_bad_seq": None, "head": audit.verify()["head"]}


# -- rate-limit storage ---------------------------------------------------------------------------
def test_sqlite_scheme_is_registered_with_limits(tmp_path):
    storage = storage_from_string(f"sqlite:///{tmp_path / 'rl.sqlite3'}")
    assert isinstance(storage, SQLiteStorage) and storage.check()
    assert storage.db.path == tmp_path / "rl.sqlite3"


def test_sqlite_storage_fixed_window(tmp_path):
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 'rl.sqlite3'}")
    limiter = FixedWindowRateLimiter(storage)
    three = parse("3/minute")
    assert [limiter.hit(three, "key-a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(three, "key-b")  # another key has its own window
    stats = limiter.get_window_stats(three, "key-a")
    assert stats.remaining == 0 and 0 < stats.reset_time - time.time() <= 60
    assert storage.incr("k", 1) == 1 and storage.incr("k", 1, amount=2) == 3 and storage.get("k") == 3
    time.sleep(1.1)  # the window is over: the count starts again
    assert storage.get("k") == 0 and storage.get_expiry("k") <= time.time() + 0.01
    assert storage.incr("k", 1) == 1
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.reset() >= 2 and storage.get("key-a") == 0


def test_two_processes_counting_at_once_lose_no_hit(tmp_path):
    uri, go = f"sqlite:///{tmp_path / 'rl.sqlite3'}", tmp_path / "go"
    SQLiteStorage(uri)
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from nlp_service.security.ratelimit import SQLiteStorage
        GO='{go}'
        n = int(sys.argv[2])
        storage = SQLiteStorage('{uri}')
        while not Path(GO).exists():
            time.sleep(0.01)
        for _ in range(n):
            storage.incr('shared', 600)
    """)
    _run_writers(script, 300)
    assert SQLiteStorage(uri).get("shared") == 600


def test_sqlite_uri_must_name_a_file():
    from limits.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        SQLiteStorage("sqlite://")
    with pytest.raises(ConfigurationError):
        SQLiteStorage("sqlite://host/file")


def test_audit_sync_is_full_by_default_and_normal_on_request(tmp_path):
    full, normal = AuditLog(tmp_path / "full.sqlite3"), AuditLog(tmp_path / "normal.sqlite3", "NORMAL")
    for audit, expected in ((full, 2), (normal, 1)):  # PRAGMA synchronous: 2 = FULL, 1 = NORMAL
        audit.append(record(1))
        assert audit.db.connect().execute("PRAGMA synchronous").fetchone()[0] == expected
        assert audit.query()[0]["request_id"] == "req-1" and audit.verify()["ok"]
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        AuditLog(tmp_path / "off.sqlite3", "OFF")

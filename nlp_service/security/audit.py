"""The audit log: one append-only record per HTTP request, in its own SQLite file (``auth.audit_db``).

A record says who called what, when, with what outcome and how much: time (UTC), request id, key id
(or ``jwt:<sub>``, or null when nobody authenticated), method, endpoint (the route rule, never the
raw path), status, a keyed hash of the request body (HMAC-SHA256 with a key derived from the server
secret, :func:`body_digest`), request and response sizes in bytes, latency and client address. Never
any text: a body is only hashed, so an EHR can prove which document it sent (``nlp-service audit
--digest FILE`` computes the same value) without the log holding it, and the key stops anyone who
reads the log from confirming a guessed short body ("MRN 1234567") by hashing candidates.

Append-only is enforced by the database: triggers abort every UPDATE and DELETE. Each record also
carries ``row_hash``, SHA-256 over the previous record's hash and its own fields, so
:meth:`AuditLog.verify` detects a record changed, removed or inserted after the fact by someone
who went around the triggers (anyone who can write the file can drop them). The chain is not
keyed: someone able to rewrite the whole file could recompute it, so keep the head hash that
``nlp-service audit --verify`` prints somewhere else to anchor it.

Writers in several processes (gunicorn workers) take turns: each append is one short IMMEDIATE
transaction (read the last hash, insert) in WAL mode with a busy timeout, committed with
``synchronous = FULL`` before the response leaves (``auth.audit_sync = "NORMAL"`` skips the fsync: a
process crash still loses nothing, a power cut may lose the last records; benchmarks/RESULTS.md,
http_load, measures what it buys).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from ..errors import Errors
from ._sqlite import Database, utc_iso


def body_digest(secret: bytes, body: bytes) -> str:
    """The audit's hash of a request body: HMAC-SHA256 under a key derived from the server secret.

    >>> body_digest(b"s", b"{}") == body_digest(b"s", b"{}") != body_digest(b"t", b"{}")
    True
    """
    import hmac

    key = hmac.new(secret, b"nlp-service audit body v1", hashlib.sha256).digest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


GENESIS = "0" * 64

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    time           TEXT    NOT NULL,  -- UTC ISO 8601, when the request arrived
    request_id     TEXT    NOT NULL,
    key_id         TEXT,              -- API key id, jwt:<sub>, or NULL (not authenticated)
    method         TEXT    NOT NULL,
    endpoint       TEXT    NOT NULL,  -- route rule, e.g. /v1/indexes/<name>; "(no route)" for a 404
    status         INTEGER NOT NULL,
    body_hmac      TEXT,              -- HMAC-SHA256 (body_digest); NULL when the body was empty or not read (401, 403, 404, 429)
    request_bytes  INTEGER NOT NULL,
    response_bytes INTEGER,
    latency_ms     REAL    NOT NULL,
    client         TEXT,
    row_hash       TEXT    NOT NULL   -- SHA-256 of the previous row_hash and this record's fields
);
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
CREATE INDEX IF NOT EXISTS audit_key_time ON audit (key_id, time);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


@dataclass(frozen=True)
class AuditRecord:
    """One request, as the audit log keeps it (no content, ever)."""

    time: str
    request_id: str
    key_id: str | None
    method: str
    endpoint: str
    status: int
    body_hmac: str | None
    request_bytes: int
    response_bytes: int | None
    latency_ms: float
    client: str | None


FIELDS = tuple(f.name for f in fields(AuditRecord))


def chain_hash(previous: str, record: AuditRecord) -> str:
    """SHA-256 over the previous record's hash and this record's fields (canonical JSON)."""
    payload = json.dumps(asdict(record), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{payload}".encode()).hexdigest()


def parse_time(value: str) -> str:
    """An ISO 8601 time from the command line as the log stores it (UTC); a naive time is UTC.

    >>> parse_time("2026-11-28T00:00")
    '2026-11-28T00:00:00.000Z'
    >>> parse_time("2026-11-28T01:00+01:00")
    '2026-11-28T00:00:00.000Z'

    Raises:
        ServiceError: E101 when it is not an ISO 8601 date or time.
    """
    try:
        return utc_iso(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        raise Errors.INVALID_REQUEST.error(
            summary=f"{value!r} is not an ISO 8601 time (e.g. 2026-11-28T00:00 or 2026-11-28T00:00Z).") from None


class AuditLog:
    """The append-only audit log in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str], synchronous: str = "FULL") -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        self.db = Database(path, SCHEMA, synchronous=synchronous)

    def append(self, record: AuditRecord) -> int:
        """Write one record and commit it; returns its sequence number."""
        conn = self.db.connect()
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time across processes: the chain stays linear
        try:
            last = conn.execute("SELECT row_hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            row_hash = chain_hash(last[0] if last else GENESIS, record)
            values = [getattr(record, name) for name in FIELDS]
            cursor = conn.execute(
                f"INSERT INTO audit ({', '.join(FIELDS)}, row_hash) VALUES ({', '.join('?' * (len(FIELDS) + 1))})",
                (*values, row_hash))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(cursor.lastrowid or 0)

    def query(self, since: str | None = None, until: str | None = None, key_id: str | None = None,
              limit: int | None = 100, after_seq: int = 0) -> list[dict[str, Any]]:
        """Records in time order, filtered; with ``limit``, the most recent ``limit`` of them.

        ``since`` and ``until`` are stored-form times (see :func:`parse_time`); ``until`` is exclusive.
        """
        where, params = ["seq > ?"], [after_seq]
        if since:
            where.append("time >= ?")
            params.append(since)
        if until:
            where.append("time < ?")
            params.append(until)
        if key_id:
            where.append("key_id = ?")
            params.append(key_id)
        sql = f"SELECT seq, {', '.join(FIELDS)} FROM audit WHERE {' AND '.join(where)} ORDER BY seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self.db.connect().execute(sql, params).fetchall()
        return [dict(zip(("seq", *FIELDS), row, strict=True)) for row in reversed(rows)]

    def last_seq(self) -> int:
        row = self.db.connect().execute("SELECT MAX(seq) FROM audit").fetchone()
        return int(row[0] or 0)

    def verify(self) -> dict[str, Any]:
        """Walk the hash chain: ``ok``, how many records, the head hash, and the first bad record."""
        previous, count = GENESIS, 0
        cursor = self.db.connect().execute(f"SELECT seq, {', '.join(FIELDS)}, row_hash FROM audit ORDER BY seq")
        for row in cursor:
            record = AuditRecord(*row[1:-1])
            if chain_hash(previous, record) != row[-1]:
                return {"ok": False, "records": count, "first_bad_seq": row[0], "head": previous}
            previous, count = row[-1], count + 1
        return {"ok": True, "records": count, "first_bad_seq": None, "head": previous}

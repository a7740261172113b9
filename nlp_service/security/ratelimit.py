"""A ``limits`` storage in SQLite, so rate limits hold across gunicorn workers without Redis.

``limits`` (under Flask-Limiter) ships memory, Redis, Memcached and MongoDB storages. Memory is per
process: with N workers a client would get N times its limit. A hospital box cannot be assumed to
run Redis, so this module registers a ``sqlite`` scheme: importing it makes
``storage_from_string("sqlite:///var/ratelimit.sqlite3")`` (SQLAlchemy's convention: three slashes
and a path relative to the working directory, four for an absolute path) return a
:class:`SQLiteStorage`.

It implements what the fixed-window strategy needs (``incr``, ``get``, ``get_expiry``, ``check``,
``reset``, ``clear``): one row per window key with its count and expiry time. ``incr`` is one
atomic UPSERT ... RETURNING statement, so concurrent workers never lose a hit. Expired rows are
swept about once a minute per process.
"""

from __future__ import annotations

import sqlite3
import time
import urllib.parse
from typing import Any

from limits.errors import ConfigurationError
from limits.storage import Storage

from ._sqlite import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key        TEXT PRIMARY KEY,
    count      INTEGER NOT NULL,
    expires_at REAL    NOT NULL  -- Unix time
);
"""
SWEEP_EVERY_S = 60.0


def path_from_uri(uri: str) -> str:
    """The file of a ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` URI.

    >>> path_from_uri("sqlite:///var/ratelimit.sqlite3")
    'var/ratelimit.sqlite3'
    >>> path_from_uri("sqlite:////srv/nlp/ratelimit.sqlite3")
    '/srv/nlp/ratelimit.sqlite3'
    """
    parsed = urllib.parse.urlparse(uri)
    path = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
    if parsed.scheme != "sqlite" or parsed.netloc or not path:
        raise ConfigurationError(f"expected sqlite:///relative/path or sqlite:////absolute/path, got {uri!r}")
    return path


class SQLiteStorage(Storage):
    """Fixed-window counters in one SQLite file shared by every worker process."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        self.db = Database(path_from_uri(uri), SCHEMA, synchronous="NORMAL")
        self._last_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _sweep(self, conn: sqlite3.Connection, now: float) -> None:
        if now - self._last_sweep >= SWEEP_EVERY_S:
            self._last_sweep = now
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to the key's counter, starting a new window of ``expiry`` seconds when the
        last one is over; returns the new count."""
        now = time.time()
        conn = self.db.connect()
        self._sweep(conn, now)
        row = conn.execute(
            """INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :expires)
               ON CONFLICT (key) DO UPDATE SET
                 count = CASE WHEN counters.expires_at <= :now THEN :amount ELSE counters.count + :amount END,
                 expires_at = CASE WHEN counters.expires_at <= :now THEN :expires ELSE counters.expires_at END
               RETURNING count""",
            {"key": key, "amount": amount, "expires": now + expiry, "now": now}).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        row = self.db.connect().execute(
            "SELECT count FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = self.db.connect().execute(
            "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now)).fetchone()
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self.db.connect().execute("SELECT 1 FROM counters LIMIT 1").fetchall()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self.db.connect().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self.db.connect().execute("DELETE FROM counters WHERE key = ?", (key,))

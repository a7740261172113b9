"""SQLite files shared by the threads and processes (gunicorn workers) of one service.

Each thread of each process gets its own connection, opened on first use: a connection must not
cross ``fork()``, and gunicorn forks its workers after the app (and these objects) are built. Files
are created owner-only (0600; SQLite gives its -wal and -shm files the same mode), in WAL mode with
a busy timeout, so concurrent writers wait for each other instead of failing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000


def utc_now() -> str:
    """The current time as UTC ISO 8601 with milliseconds, e.g. ``2026-11-28T09:30:00.123Z``."""
    return utc_iso(datetime.now(UTC))


def utc_iso(moment: datetime) -> str:
    """``moment`` as UTC ISO 8601 with milliseconds; a naive datetime is taken as UTC.

    >>> utc_iso(datetime(2026, 11, 28, 9, 30))
    '2026-11-28T09:30:00.000Z'
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Database:
    """One SQLite file with its schema; ``connect()`` returns this thread's connection."""

    def __init__(self, path: str | os.PathLike[str], schema: str, synchronous: str = "NORMAL") -> None:
        self.path = Path(path)
        self._schema = schema
        self._synchronous = synchronous
        self._local = threading.local()
        # create the file and its tables now (a clear error at start-up if the folder is not
        # writable), then close: no connection is left open to be inherited by a forked worker
        conn = self._open(create_schema=True)
        conn.close()

    def _open(self, create_schema: bool = False) -> sqlite3.Connection:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        # autocommit: every statement is its own transaction unless we BEGIN one
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if create_schema:
            conn.execute("PRAGMA journal_mode = WAL")  # stored in the file: every later connection uses it
            conn.executescript(self._schema)
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        return conn

    def connect(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = self._open()
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their thread's storage is freed)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

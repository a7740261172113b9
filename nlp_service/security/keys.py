"""API keys: random tokens, of which only a SHA-256 of the secret part is ever stored.

A token reads ``nlps_<key id>_<secret>``: the key id (12 hex digits) names the key in lists and in
the audit log; the secret is 256 random bits in lower-case base32 (52 characters). The store keeps
the key id, SHA-256 of the secret, a name, the scopes and when the key was created and revoked. A
token is checked by looking its key id up and comparing hashes in constant time; a revoked key
fails at once in every process, because nothing is cached.

The secret has 256 bits of entropy, so a plain SHA-256 (no slow password hash) is enough: nobody
can search that space, with or without the stored hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from ..errors import Errors
from ._sqlite import Database, utc_now
from .scopes import Principal, parse_scopes

PREFIX = "nlps"
_TOKEN = re.compile(r"^nlps_([0-9a-f]{12})_([a-z2-7]{52})$")
_KEY_ID = re.compile(r"^[0-9a-f]{12}$")
# compared against when the key id is unknown, so that case costs the same as a wrong secret
_NO_HASH = hashlib.sha256(b"no such key").hexdigest()

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id        TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,  -- space-separated scope names
    created_at    TEXT NOT NULL,  -- UTC ISO 8601
    revoked_at    TEXT            -- NULL while the key is valid
);
"""


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret (which is never stored)."""

    key_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def principal(self) -> Principal:
        return Principal(self.key_id, frozenset(self.scopes), "key")

    def as_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "name": self.name, "scopes": list(self.scopes),
                "created_at": self.created_at, "revoked_at": self.revoked_at}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def new_token() -> tuple[str, str, str]:
    """(token, key id, secret) for a fresh key."""
    key_id = secrets.token_hex(6)
    secret = base64.b32encode(secrets.token_bytes(32)).decode("ascii").rstrip("=").lower()
    return f"{PREFIX}_{key_id}_{secret}", key_id, secret


def split_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None.

    >>> split_token("nlps_0123456789ab_" + "a" * 52)
    ('0123456789ab', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
    >>> split_token("Bearer something") is None
    True
    """
    match = _TOKEN.match(token)
    return (match.group(1), match.group(2)) if match else None


class KeyStore:
    """API keys in one SQLite file (``auth.keys_db``); safe across threads and processes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.db = Database(path, SCHEMA, synchronous="FULL")

    @staticmethod
    def _row(row: tuple) -> ApiKey:
        key_id, name, scopes, created_at, revoked_at = row
        return ApiKey(key_id, name, tuple(scopes.split()), created_at, revoked_at)

    def create(self, name: str, scopes: str | list[str] | tuple[str, ...]) -> tuple[ApiKey, str]:
        """Create a key; returns it and its token. The token is not kept anywhere: show it once.

        Raises:
            ServiceError: E421 for an unknown scope, E101 for an empty or unprintable name.
        """
        name = name.strip()
        if not name or len(name) > 100 or not name.isprintable():
            raise Errors.INVALID_REQUEST.error(summary="A key name must be 1 to 100 printable characters.")
        checked = parse_scopes(scopes)
        conn = self.db.connect()
        while True:
            token, key_id, secret = new_token()
            key = ApiKey(key_id, name, checked, utc_now())
            try:
                conn.execute("INSERT INTO api_keys (key_id, secret_sha256, name, scopes, created_at) VALUES (?, ?, ?, ?, ?)",
                             (key_id, _hash(secret), name, " ".join(checked), key.created_at))
            except sqlite3.IntegrityError:  # a key id drawn twice (1 in 2**48): draw again
                continue
            return key, token

    def get(self, key_id: str) -> ApiKey | None:
        row = self.db.connect().execute(
            "SELECT key_id, name, scopes, created_at, revoked_at FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        return self._row(row) if row else None

    def list(self) -> list[ApiKey]:
        """Every key, oldest first (revoked ones too)."""
        rows = self.db.connect().execute(
            "SELECT key_id, name, scopes, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id").fetchall()
        return [self._row(r) for r in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key (at once, for every process). Revoking a revoked key changes nothing.

        Raises:
            ServiceError: E420 when no key has this id.
        """
        conn = self.db.connect()
        conn.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (utc_now(), key_id))
        key = self.get(key_id)
        if key is None:
            raise Errors.UNKNOWN_API_KEY.error(key_id=key_id)
        return key

    def authenticate(self, token: str) -> ApiKey | None:
        """The active key this token belongs to, or None (malformed, unknown, wrong secret, revoked)."""
        parts = split_token(token)
        if parts is None:
            return None
        key_id, secret = parts
        row = self.db.connect().execute(
            "SELECT secret_sha256, key_id, name, scopes, created_at, revoked_at FROM api_keys WHERE key_id = ?",
            (key_id,)).fetchone()
        stored = row[0] if row else _NO_HASH
        if not hmac.compare_digest(stored, _hash(secret)) or row is None:
            return None
        key = self._row(row[1:])
        return key if key.active else None


def valid_key_id(value: str) -> bool:
    """Whether ``value`` has the form of a key id (12 lower-case hex digits)."""
    return bool(_KEY_ID.match(value))

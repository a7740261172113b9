"""Bearer JWTs from the hospital's identity provider, checked offline against a local key.

The service never fetches keys at run time (it may have no network): the issuer's JWKS (or one PEM
public key) is a file named in the settings, re-read when the file changes, so a key rotation is a
file copy. Only asymmetric algorithms are accepted (never ``none`` or HMAC, which would let a
public key act as a shared secret). A token must be signed by a key of the set, name the configured
issuer and audience, carry ``exp`` and ``sub``, and be within ``leeway`` seconds of its validity
window. Its ``scope`` (space-separated) or ``scp`` (list or string) claim gives the scopes; names
that are not scopes of this service are ignored. The principal is ``jwt:<sub>``.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import jwt as pyjwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from ..errors import Errors
from .scopes import SCOPES, Principal

ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})
_ASYMMETRIC_KTY = frozenset({"RSA", "EC", "OKP"})


class InvalidToken(Exception):
    """A JWT that is not accepted; the message is a fixed phrase safe to return to the caller."""


# PyJWT's exception -> what the caller is told (fixed phrases: no token content comes back)
_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (pyjwt.ExpiredSignatureError, "the token has expired"),
    (pyjwt.ImmatureSignatureError, "the token is not valid yet"),
    (pyjwt.InvalidAudienceError, "the token is for another audience"),
    (pyjwt.InvalidIssuerError, "the token is from another issuer"),
    (pyjwt.MissingRequiredClaimError, "the token lacks a required claim (exp, iss, aud, sub)"),
    (pyjwt.InvalidAlgorithmError, "the token's algorithm is not accepted"),
    (pyjwt.InvalidSignatureError, "the token's signature does not verify"),
)


class JwtVerifier:
    """Checks bearer JWTs against the configured issuer, audience and local key(s)."""

    def __init__(self, issuer: str, audience: str, algorithms: tuple[str, ...] | list[str],
                 jwks_file: str = "", public_key_file: str = "", leeway_s: float = 30) -> None:
        bad = [a for a in algorithms if a not in ASYMMETRIC]
        if bad or not algorithms:
            raise Errors.INVALID_CONFIG.error(
                problems=f"[auth.jwt_algorithms] only asymmetric algorithms are accepted ({', '.join(sorted(ASYMMETRIC))}); got {list(algorithms)}")
        if not issuer or not audience or bool(jwks_file) == bool(public_key_file):
            raise Errors.INVALID_CONFIG.error(
                problems="[auth] JWTs need jwt_issuer, jwt_audience and exactly one of jwt_jwks_file, jwt_public_key_file")
        self.issuer, self.audience, self.algorithms, self.leeway = issuer, audience, list(algorithms), leeway_s
        self.path = Path(jwks_file or public_key_file)
        self._jwks = bool(jwks_file)
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._keys: dict[str | None, Any] = {}
        self._reload(strict=True)

    def _reload(self, strict: bool = False) -> None:
        """(Re)read the key file when it changed since the last read. At start-up (``strict``) a
        missing or unusable file is a configuration error; later, the keys already loaded stay."""
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime, st.st_size)
            if stamp == self._stamp:
                return
            with self._lock:
                raw = self.path.read_text(encoding="utf-8")
                keys = self._load_jwks(raw) if self._jwks else {None: load_pem_public_key(raw.encode("utf-8"))}
                self._keys, self._stamp = keys, stamp
        except (OSError, ValueError, TypeError, UnsupportedAlgorithm, pyjwt.PyJWTError) as exc:
            if strict:
                raise Errors.INVALID_CONFIG.error(
                    problems=f"[auth] JWT key file {self.path}: {type(exc).__name__}: {exc}") from None

    @staticmethod
    def _load_jwks(raw: str) -> dict[str | None, Any]:
        data = json.loads(raw)
        keys = data.get("keys", []) if isinstance(data, dict) else []
        usable = [k for k in keys if isinstance(k, dict) and k.get("kty") in _ASYMMETRIC_KTY and k.get("use", "sig") == "sig"]
        if not usable:
            raise ValueError("the JWKS has no RSA, EC or OKP signing key")
        out: dict[str | None, Any] = {}
        for k in usable:
            out[k.get("kid")] = pyjwt.PyJWK(k).key
        return out

    def _key_for(self, token: str) -> Any:
        try:
            header = pyjwt.get_unverified_header(token)
        except pyjwt.PyJWTError:
            raise InvalidToken("the token is not a well-formed JWT") from None
        if header.get("alg") not in self.algorithms:
            raise InvalidToken("the token's algorithm is not accepted")
        kid = header.get("kid")
        if kid in self._keys:
            return self._keys[kid]
        if len(self._keys) == 1 and (kid is None or None in self._keys):
            return next(iter(self._keys.values()))
        raise InvalidToken("the token is signed with an unknown key")

    def verify(self, token: str) -> Principal:
        """The principal of a valid token.

        Raises:
            InvalidToken: with a fixed phrase saying why.
        """
        self._reload()
        key = self._key_for(token)
        try:
            claims = pyjwt.decode(token, key, algorithms=self.algorithms, audience=self.audience, issuer=self.issuer,
                                  leeway=self.leeway, options={"require": ["exp", "iss", "aud", "sub"]})
        except pyjwt.PyJWTError as exc:
            reason = next((text for kind, text in _REASONS if isinstance(exc, kind)), "the token is not valid")
            raise InvalidToken(reason) from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > 200 or not subject.isprintable():
            raise InvalidToken("the token's subject is not usable")
        return Principal(f"jwt:{subject}", frozenset(token_scopes(claims)), "jwt")


def token_scopes(claims: dict[str, Any]) -> list[str]:
    """Scopes of this service named by a token's ``scope`` or ``scp`` claim.

    >>> token_scopes({"scope": "openid records qa"})
    ['records', 'qa']
    >>> token_scopes({"scp": ["deidentify", "other"]})
    ['deidentify']
    """
    names: list[str] = []
    for claim in ("scope", "scp"):
        value = claims.get(claim)
        if isinstance(value, str):
            names += value.split()
        elif isinstance(value, list):
            names += [v for v in value if isinstance(v, str)]
    return [s for s in SCOPES if s in names]

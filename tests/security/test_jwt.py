"""Bearer JWTs checked offline against a local JWKS file or PEM key, with key pairs made in the test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

import jwt
import pytest

from nlp_service.config import load_settings
from nlp_service.errors import ServiceError
from nlp_service.security import Principal
from nlp_service.security.jwt import InvalidToken, JwtVerifier

from .jwt_helpers import AUDIENCE, ISSUER, ec_key, rsa_key, token, write_jwks, write_pem


@pytest.fixture(scope="module")
def keys():
    return {"k1": rsa_key(), "k2": ec_key(), "other": rsa_key()}


@pytest.fixture()
def verifier(tmp_path, keys):
    jwks = write_jwks(tmp_path / "jwks.json", ("k1", keys["k1"]), ("k2", keys["k2"]))
    return JwtVerifier(ISSUER, AUDIENCE, ("RS256", "ES256"), jwks_file=str(jwks))


def test_a_valid_token_gives_its_subject_and_scopes(verifier, keys):
    principal = verifier.verify(token(keys["k1"], scope="openid records qa"))
    assert principal == Principal("jwt:ehr-bridge", frozenset({"records", "qa"}), "jwt")
    ec_principal = verifier.verify(token(keys["k2"], kid="k2", algorithm="ES256", scp=["deidentify", "x"]))
    assert ec_principal.scopes == frozenset({"deidentify"})
    assert verifier.verify(token(keys["k1"], sub="svc", scp="admin")).allows("search")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": int(time.time()) - 600}, "expired"),
        ({"aud": "another-service"}, "another audience"),
        ({"iss": "https://evil.example"}, "another issuer"),
        ({"exp": None}, "required claim"),
        ({"sub": None}, "required claim"),
        ({"nbf": int(time.time()) + 600}, "not valid yet"),
    ],
)
def test_claims_are_enforced(verifier, keys, changes, reason):
    with pytest.raises(InvalidToken, match=reason):
        verifier.verify(token(keys["k1"], **changes))


def test_signatures_algorithms_and_keys_are_enforced(verifier, keys, tmp_path):
    with pytest.raises(InvalidToken, match="signature"):  # right kid, wrong key
        verifier.verify(token(keys["other"], kid="k1"))
    with pytest.raises(InvalidToken, match="unknown key"):
        verifier.verify(token(keys["other"], kid="k9"))
    with pytest.raises(InvalidToken, match="well-formed"):
        verifier.verify("not.a.jwt")
    # alg=none and HMAC signed with the public key as the secret (algorithm confusion) are refused
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": "k1"}).encode()).rstrip(b"=").decode()
    claims = jwt.decode(token(keys["k1"]), options={"verify_signature": False})
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match="algorithm"):
        verifier.verify(f"{header}.{body}.")
    pem = write_pem(tmp_path / "pub.pem", keys["k1"]).read_bytes()
    with pytest.raises(InvalidToken, match="algorithm"):
        verifier.verify(_hmac_token(claims, pem))


def _hmac_token(claims, secret: bytes) -> str:
    """HS256 by hand: PyJWT itself refuses to use a PEM key as an HMAC secret."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'kid': 'k1'}).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def test_a_pem_public_key_and_rotation_of_the_jwks_file(tmp_path, keys):
    pem = JwtVerifier(ISSUER, AUDIENCE, ["ES256"], public_key_file=str(write_pem(tmp_path / "k.pem", keys["k2"])))
    assert pem.verify(token(keys["k2"], kid=None, algorithm="ES256", scope="triage")).scopes == frozenset({"triage"})
    path = write_jwks(tmp_path / "rot.json", ("k1", keys["k1"]))
    verifier = JwtVerifier(ISSUER, AUDIENCE, ["RS256"], jwks_file=str(path))
    with pytest.raises(InvalidToken):
        verifier.verify(token(keys["other"], kid="new"))
    write_jwks(path, ("new", keys["other"]))  # the identity provider rotated its key: copy the new set in
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert verifier.verify(token(keys["other"], kid="new")).id == "jwt:ehr-bridge"
    path.write_text("{broken", encoding="utf-8")  # a half-copied file: the keys already loaded stay
    os.utime(path, (time.time() + 10, time.time() + 10))
    assert verifier.verify(token(keys["other"], kid="new"))


def test_jwt_configuration_errors(tmp_path, keys):
    with pytest.raises(ServiceError, match="E300"):
        JwtVerifier(ISSUER, AUDIENCE, ["RS256"], jwks_file=str(tmp_path / "missing.json"))
    with pytest.raises(ServiceError, match="asymmetric"):
        JwtVerifier(ISSUER, AUDIENCE, ["HS256"], jwks_file=str(tmp_path / "x.json"))
    with pytest.raises(ServiceError, match="E300"):
        (tmp_path / "hmac.json").write_text(json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}))
        JwtVerifier(ISSUER, AUDIENCE, ["RS256"], jwks_file=str(tmp_path / "hmac.json"))
    with pytest.raises(ServiceError, match=r"\[auth\]"):
        load_settings(overrides={"auth": {"jwt_issuer": ISSUER}}, environ={})
    with pytest.raises(ServiceError, match="asymmetric"):
        load_settings(overrides={"auth": {"jwt_algorithms": ["HS256"]}}, environ={})

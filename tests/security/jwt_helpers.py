"""Key pairs and tokens for the JWT tests, made in the test (nothing fetched, nothing shipped)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ISSUER = "https://idp.hospital.example/realms/clinical"
AUDIENCE = "nlp-service"


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def write_jwks(path: Path, *keys: tuple[str, object]) -> Path:
    """A JWKS file with the public halves of (kid, private key) pairs."""
    out = []
    for kid, key in keys:
        algorithm = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
        jwk = algorithm.to_jwk(key.public_key(), as_dict=True)
        out.append({**jwk, "kid": kid, "use": "sig"})
    path.write_text(json.dumps({"keys": out}), encoding="utf-8")
    return path


def write_pem(path: Path, key) -> Path:
    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


def token(key, kid: str | None = "k1", algorithm: str = "RS256", **claims) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "ehr-bridge", "iat": now, "exp": now + 300, **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid} if kid else None)

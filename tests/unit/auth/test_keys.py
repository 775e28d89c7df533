"""Signing keys, the JWKS, and access tokens checked by the kernel's TokenVerifier."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tiketi.kernel.tokens import InvalidToken, TokenExpired, TokenVerifier
from tiketi.services.auth.adapters.keys import KeyPair, KeyRing, SigningKeyError
from tiketi.services.auth.domain.models import access_claims

ISSUER = "tiketi"
AUDIENCE = "tiketi"


def claims_for(
    *, issued_at: datetime | None = None, lifetime: timedelta | None = None
) -> dict[str, Any]:
    return access_claims(
        user_id="5d5d3f3e-1111-4444-8888-000000000001",
        role="organizer",
        email="org@example.com",
        issuer=ISSUER,
        audience=AUDIENCE,
        issued_at=issued_at or datetime.now(UTC),
        lifetime=lifetime or timedelta(minutes=15),
    )


def verifier_for(ring: KeyRing) -> TokenVerifier:
    async def fetch() -> dict[str, Any]:
        return ring.jwks()

    return TokenVerifier(fetch, issuer=ISSUER, audience=AUDIENCE)


def ring_with(key: KeyPair) -> KeyRing:
    ring = KeyRing()
    ring.install(key)
    return ring


def test_pem_round_trip_keeps_the_kid() -> None:
    key = KeyPair.generate()

    again = KeyPair.from_pem(key.to_pem())

    assert again.kid == key.kid
    assert len(key.kid) == 43  # base64url of a SHA-256


def test_the_kid_is_the_rfc7638_thumbprint() -> None:
    key = KeyPair.generate()
    jwk = key.public_jwk()
    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=")

    assert key.kid == expected.decode()


def test_only_p256_keys_are_accepted() -> None:
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    p384 = ec.generate_private_key(ec.SECP384R1())
    p384_pem = p384.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

    for pem in (rsa_pem, p384_pem, "not a key"):
        with pytest.raises(SigningKeyError):
            KeyPair.from_pem(pem)


def test_the_jwks_publishes_public_parts_only() -> None:
    old, new = KeyPair.generate(), KeyPair.generate()
    ring = KeyRing()
    ring.install(new, [old, new])

    keys = ring.jwks()["keys"]

    assert [k["kid"] for k in keys] == [new.kid, old.kid]
    for entry in keys:
        assert entry["kty"] == "EC" and entry["crv"] == "P-256"
        assert entry["alg"] == "ES256" and entry["use"] == "sig"
        assert "d" not in entry


def test_an_unloaded_ring_refuses_to_sign() -> None:
    ring = KeyRing()

    assert not ring.loaded
    assert ring.jwks() == {"keys": []}
    with pytest.raises(RuntimeError):
        ring.sign({"sub": "x"})


async def test_signed_tokens_verify_with_the_kernel_verifier() -> None:
    key = KeyPair.generate()
    ring = ring_with(key)
    token = ring.sign(claims_for())

    principal = await verifier_for(ring).verify(token)

    assert jwt.get_unverified_header(token)["kid"] == key.kid
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    assert principal.id == "5d5d3f3e-1111-4444-8888-000000000001"
    assert principal.role == "organizer"
    assert principal.email == "org@example.com"


async def test_expired_tokens_are_refused_as_expired() -> None:
    ring = ring_with(KeyPair.generate())
    token = ring.sign(claims_for(issued_at=datetime.now(UTC) - timedelta(hours=1)))

    with pytest.raises(TokenExpired):
        await verifier_for(ring).verify(token)


async def test_a_token_signed_by_another_key_with_our_kid_is_refused() -> None:
    ours = KeyPair.generate()
    forger = KeyPair.generate()
    forged = jwt.encode(
        claims_for(), forger.private_key, algorithm="ES256", headers={"kid": ours.kid}
    )

    with pytest.raises(InvalidToken):
        await verifier_for(ring_with(ours)).verify(forged)


async def test_alg_none_is_refused() -> None:
    key = KeyPair.generate()
    unsigned = jwt.encode(claims_for(), None, algorithm="none", headers={"kid": key.kid})  # type: ignore[arg-type]

    with pytest.raises(InvalidToken):
        await verifier_for(ring_with(key)).verify(unsigned)

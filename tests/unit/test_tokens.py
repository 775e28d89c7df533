"""Local token verification: ES256 only, kid required, expired and forged tokens refused."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tiketi.kernel.tokens import InvalidToken, TokenExpired, TokenVerifier

KEY = ec.generate_private_key(ec.SECP256R1())
OTHER = ec.generate_private_key(ec.SECP256R1())


def jwks(*pairs: tuple[str, Any]) -> dict[str, Any]:
    keys = []
    for kid, key in pairs:
        jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": kid, "alg": "ES256", "use": "sig"})
        keys.append(jwk)
    return {"keys": keys}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "u1",
        "role": "customer",
        "email": "a@b.c",
        "typ": "access",
        "iss": "tiketi",
        "aud": "tiketi",
        "iat": now,
        "exp": now + 900,
    }
    base.update(overrides)
    return base


def make_verifier(document: dict[str, Any], calls: list[int]) -> TokenVerifier:
    async def fetch() -> dict[str, Any]:
        calls.append(1)
        return document

    return TokenVerifier(fetch, issuer="tiketi", audience="tiketi", min_refresh_interval=60)


async def test_valid_token_gives_principal() -> None:
    calls: list[int] = []
    verifier = make_verifier(jwks(("k1", KEY)), calls)
    token = jwt.encode(claims(), KEY, algorithm="ES256", headers={"kid": "k1"})
    principal = await verifier.verify(token)
    assert (principal.id, principal.role, principal.email) == ("u1", "customer", "a@b.c")
    await verifier.verify(token)
    assert len(calls) == 1  # keys are cached


@pytest.mark.parametrize(
    ("wrong", "error"),
    [
        ({"exp": -60}, TokenExpired),  # seconds from now
        ({"aud": "other"}, InvalidToken),
        ({"iss": "evil"}, InvalidToken),
        ({"typ": "refresh"}, InvalidToken),
        ({"role": "emperor"}, InvalidToken),
    ],
)
async def test_bad_claims_refused(wrong: dict[str, Any], error: type[Exception]) -> None:
    # Claims are made when the test runs, not at collection (they would expire in between).
    if "exp" in wrong:
        wrong = {"exp": int(time.time()) + wrong["exp"]}
    verifier = make_verifier(jwks(("k1", KEY)), [])
    token = jwt.encode(claims(**wrong), KEY, algorithm="ES256", headers={"kid": "k1"})
    with pytest.raises(error):
        await verifier.verify(token)


async def test_forged_signature_unknown_kid_and_alg_none_refused() -> None:
    calls: list[int] = []
    verifier = make_verifier(jwks(("k1", KEY)), calls)
    forged = jwt.encode(claims(), OTHER, algorithm="ES256", headers={"kid": "k1"})
    with pytest.raises(InvalidToken):
        await verifier.verify(forged)
    unknown = jwt.encode(claims(), OTHER, algorithm="ES256", headers={"kid": "k9"})
    with pytest.raises(InvalidToken):
        await verifier.verify(unknown)
    with pytest.raises(InvalidToken):
        await verifier.verify(unknown)
    # An unknown kid refreshes the key set at most once per interval.
    assert len(calls) == 1
    none_token = jwt.encode(claims(), None, algorithm="none", headers={"kid": "k1"})
    with pytest.raises(InvalidToken):
        await verifier.verify(none_token)
    hs = jwt.encode(
        claims(), "secret-value-long-enough-for-hs256!", algorithm="HS256", headers={"kid": "k1"}
    )
    with pytest.raises(InvalidToken):
        await verifier.verify(hs)
    with pytest.raises(InvalidToken):
        await verifier.verify("garbage")


async def test_rotated_key_is_fetched_on_unknown_kid() -> None:
    document = jwks(("k1", KEY))
    calls: list[int] = []

    async def fetch() -> dict[str, Any]:
        calls.append(1)
        return document

    verifier = TokenVerifier(fetch, issuer="tiketi", audience="tiketi", min_refresh_interval=0)
    await verifier.verify(jwt.encode(claims(), KEY, algorithm="ES256", headers={"kid": "k1"}))
    document = jwks(("k1", KEY), ("k2", OTHER))
    principal = await verifier.verify(
        jwt.encode(claims(sub="u2"), OTHER, algorithm="ES256", headers={"kid": "k2"})
    )
    assert principal.id == "u2" and len(calls) == 2

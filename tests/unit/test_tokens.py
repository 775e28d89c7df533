"""Local token verification: ES256 only, kid required, expired and forged tokens refused."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tiketi.kernel import tokens
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


async def test_remembered_token_still_expires_and_dies_with_its_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = jwks(("k1", KEY), ("k2", OTHER))

    async def fetch() -> dict[str, Any]:
        return document

    verifier = TokenVerifier(
        fetch, issuer="tiketi", audience="tiketi", leeway=0, min_refresh_interval=0
    )
    now = int(time.time())
    short = jwt.encode(claims(exp=now + 2), KEY, algorithm="ES256", headers={"kid": "k1"})
    other = jwt.encode(claims(sub="u2"), OTHER, algorithm="ES256", headers={"kid": "k2"})
    assert (await verifier.verify(short)).id == "u1"
    assert (await verifier.verify(other)).id == "u2"
    # Remembered, a token is answered without checking its signature again...
    monkeypatch.setattr(tokens.jwt, "decode", None)
    assert (await verifier.verify(short)).id == "u1"
    # ...but not past its exp...
    monkeypatch.setattr(tokens.time, "time", lambda: now + 3.0)
    with pytest.raises(TokenExpired):
        await verifier.verify(short)
    monkeypatch.undo()
    # ...and not once its key left the key set (a rotation that revokes a key).
    document = jwks(("k1", KEY))
    with pytest.raises(InvalidToken):
        await verifier.verify(jwt.encode(claims(), OTHER, algorithm="ES256", headers={"kid": "k9"}))
    with pytest.raises(InvalidToken):
        await verifier.verify(other)


async def test_remembered_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_CACHE_SIZE", 3)
    verifier = make_verifier(jwks(("k1", KEY)), [])
    issued = [
        jwt.encode(claims(sub=f"u{i}"), KEY, algorithm="ES256", headers={"kid": "k1"})
        for i in range(5)
    ]
    decoded: list[str] = []
    real_decode = tokens.jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(tokens.jwt, "decode", counting_decode)
    for token in issued:
        await verifier.verify(token)
    for token in reversed(issued):  # the last three are remembered; the first two were evicted
        await verifier.verify(token)
    assert decoded == [*issued, issued[1], issued[0]]

"""Refresh rotation and reuse, logout, /me, /jwks, and access tokens that must be refused."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from pydantic import SecretStr

from tests.api.auth.conftest import AuthClientFactory, bearer, error_code, register, unique_email
from tiketi.kernel.tokens import TokenVerifier
from tiketi.services.auth.adapters.keys import KeyPair
from tiketi.services.auth.domain.models import access_claims
from tiketi.services.auth.settings import AuthSettings

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": token})


async def test_refresh_rotates_and_the_old_token_is_spent(client: httpx.AsyncClient) -> None:
    first = await register(client)

    rotated = await refresh(client, first["refresh_token"])

    assert rotated.status_code == 200
    body = rotated.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["user"] == first["user"]
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert (await client.get(ME, headers=bearer(body["access_token"]))).status_code == 200


async def test_reusing_a_spent_token_revokes_the_whole_family(client: httpx.AsyncClient) -> None:
    first = await register(client)
    second = (await refresh(client, first["refresh_token"])).json()
    newest = (await refresh(client, second["refresh_token"])).json()

    reused = await refresh(client, first["refresh_token"])
    after = await refresh(client, newest["refresh_token"])

    assert reused.status_code == 401
    assert error_code(reused) == "TOKEN_REUSED"
    assert after.status_code == 401
    assert error_code(after) == "INVALID_REFRESH_TOKEN"


async def test_two_concurrent_refreshes_of_one_token_let_one_through(
    client: httpx.AsyncClient,
) -> None:
    token = (await register(client))["refresh_token"]

    answers = await asyncio.gather(refresh(client, token), refresh(client, token))

    assert sorted(a.status_code for a in answers) == [200, 401]
    loser = next(a for a in answers if a.status_code == 401)
    assert error_code(loser) in {"TOKEN_REUSED", "INVALID_REFRESH_TOKEN"}


async def test_unknown_refresh_tokens_are_401(client: httpx.AsyncClient) -> None:
    response = await refresh(client, "no-such-token")

    assert response.status_code == 401
    assert error_code(response) == "INVALID_REFRESH_TOKEN"


async def test_logout_is_204_and_ends_the_family(client: httpx.AsyncClient) -> None:
    first = await register(client)
    second = (await refresh(client, first["refresh_token"])).json()

    out = await client.post(LOGOUT, json={"refresh_token": second["refresh_token"]})
    again = await client.post(LOGOUT, json={"refresh_token": second["refresh_token"]})
    unknown = await client.post(LOGOUT, json={"refresh_token": "never-issued"})

    assert (out.status_code, again.status_code, unknown.status_code) == (204, 204, 204)
    assert out.content == b""
    response = await refresh(client, second["refresh_token"])
    assert response.status_code == 401
    assert error_code(response) == "INVALID_REFRESH_TOKEN"


async def test_me_shows_the_account(client: httpx.AsyncClient) -> None:
    email = unique_email()
    session = await register(client, email, name="Seo-yeon")

    response = await client.get(ME, headers=bearer(session["access_token"]))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "email", "name", "role", "created_at"}
    assert body["id"] == session["user"]["id"]
    assert (body["email"], body["name"], body["role"]) == (email, "Seo-yeon", "customer")
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None


async def test_me_needs_a_token(client: httpx.AsyncClient) -> None:
    missing = await client.get(ME)
    garbage = await client.get(ME, headers=bearer("not.a.jwt"))

    assert missing.status_code == garbage.status_code == 401
    assert error_code(garbage) == "INVALID_TOKEN"


async def test_jwks_publishes_keys_that_verify_issued_tokens(client: httpx.AsyncClient) -> None:
    session = await register(client)

    response = await client.get("/api/v1/auth/jwks")

    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    assert set(document) == {"keys"}
    for key in document["keys"]:
        assert {"kid", "alg", "use", "kty", "crv", "x", "y"} <= set(key)
        assert (key["alg"], key["use"], key["kty"]) == ("ES256", "sig", "EC")
        assert "d" not in key
    assert jwt.get_unverified_header(session["access_token"])["kid"] in {
        k["kid"] for k in document["keys"]
    }

    async def fetch() -> dict[str, Any]:
        return document

    verifier = TokenVerifier(fetch, issuer="tiketi", audience="tiketi")
    principal = await verifier.verify(session["access_token"])
    assert principal.id == session["user"]["id"]
    assert principal.role == "customer"
    assert principal.email == session["user"]["email"]


# ---------------------------------------------------------------- refused access tokens


def claims(user_id: str, **changes: Any) -> dict[str, Any]:
    base = access_claims(
        user_id=user_id,
        role="admin",
        email="x@example.com",
        issuer="tiketi",
        audience="tiketi",
        issued_at=datetime.now(UTC),
        lifetime=timedelta(minutes=15),
    )
    base.update(changes)
    return base


async def keyed_client(auth_client: AuthClientFactory) -> tuple[httpx.AsyncClient, KeyPair, str]:
    key = KeyPair.generate()
    client = await auth_client(AuthSettings(signing_key=SecretStr(key.to_pem())))
    user_id = (await register(client))["user"]["id"]
    return client, key, user_id


async def test_a_token_signed_with_our_key_is_accepted(auth_client: AuthClientFactory) -> None:
    client, key, user_id = await keyed_client(auth_client)

    response = await client.get(ME, headers=bearer(key.sign(claims(user_id))))

    assert response.status_code == 200


async def test_an_expired_access_token_is_401_token_expired(
    auth_client: AuthClientFactory,
) -> None:
    client, key, user_id = await keyed_client(auth_client)
    past = datetime.now(UTC) - timedelta(hours=1)
    token = key.sign(claims(user_id, iat=int(past.timestamp()), exp=int(past.timestamp()) + 900))

    response = await client.get(ME, headers=bearer(token))

    assert response.status_code == 401
    assert error_code(response) == "TOKEN_EXPIRED"


async def test_forged_and_unsigned_tokens_are_refused(auth_client: AuthClientFactory) -> None:
    client, key, user_id = await keyed_client(auth_client)
    forger = KeyPair.generate()
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header, payload, _ = key.sign(claims(user_id)).split(".")
    attempts = {
        "forged signature": jwt.encode(
            claims(user_id), forger.private_key, algorithm="ES256", headers={"kid": key.kid}
        ),
        "unknown kid": forger.sign(claims(user_id)),
        "alg none": jwt.encode(claims(user_id), None, algorithm="none", headers={"kid": key.kid}),  # type: ignore[arg-type]
        "hmac with our public key": _hs256(claims(user_id), public_pem, key.kid),
        "signature stripped": f"{header}.{payload}.",
        "wrong audience": key.sign(claims(user_id, aud="someone-else")),
        "wrong issuer": key.sign(claims(user_id, iss="evil")),
        "not an access token": key.sign(claims(user_id, typ="refresh")),
    }

    for name, token in attempts.items():
        response = await client.get(ME, headers=bearer(token))
        assert response.status_code == 401, name
        assert error_code(response) == "INVALID_TOKEN", name


def _hs256(payload: dict[str, Any], secret: bytes, kid: str) -> str:
    # PyJWT refuses PEM keys as HMAC secrets, so the token is assembled by hand.
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(payload).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"

"""Google sign-in against a locally generated RSA key set served over real HTTP."""

from __future__ import annotations

import uuid

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.api.auth.conftest import (
    GOOGLE_CLIENT_ID,
    PASSWORD,
    GoogleKeys,
    error_code,
    register,
    unique_email,
)
from tiketi.kernel.errors import DependencyUnavailable
from tiketi.services.auth.adapters.google import GoogleTokenVerifier

GOOGLE = "/api/v1/auth/google"


async def sign_in(client: httpx.AsyncClient, id_token: str) -> httpx.Response:
    return await client.post(GOOGLE, json={"id_token": id_token})


async def test_a_valid_token_creates_a_customer_and_signs_in(
    google_client: httpx.AsyncClient, google_keys: GoogleKeys
) -> None:
    email = unique_email("g")
    token = google_keys.token(email.upper())

    first = await sign_in(google_client, token)
    second = await sign_in(google_client, token)

    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["user"]["email"] == email
    assert body["user"]["role"] == "customer"
    assert body["user"]["name"] == "Google Fan"
    assert second.json()["user"]["id"] == body["user"]["id"]
    me = await google_client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200


async def test_both_google_issuer_spellings_are_accepted(
    google_client: httpx.AsyncClient, google_keys: GoogleKeys
) -> None:
    for issuer in ("accounts.google.com", "https://accounts.google.com"):
        response = await sign_in(google_client, google_keys.token(unique_email(), issuer=issuer))
        assert response.status_code == 200, issuer


async def test_bad_tokens_are_401_invalid_google_token(
    google_client: httpx.AsyncClient, google_keys: GoogleKeys
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    email = unique_email()
    attempts = {
        "wrong audience": google_keys.token(
            email, audience="someone-else.apps.googleusercontent.com"
        ),
        "wrong issuer": google_keys.token(email, issuer="https://evil.example.com"),
        "expired": google_keys.token(email, expires_in=-3600),
        "forged signature": google_keys.token(email, key=stranger),
        "unknown kid": google_keys.token(email, key=stranger, kid="not-googles"),
        "not a jwt": "garbage",
    }

    for name, token in attempts.items():
        response = await sign_in(google_client, token)
        assert response.status_code == 401, name
        assert error_code(response) == "INVALID_GOOGLE_TOKEN", name


async def test_a_verified_email_links_the_existing_account(
    google_client: httpx.AsyncClient, google_keys: GoogleKeys
) -> None:
    email = unique_email()
    existing = await register(google_client, email, name="Password Person")

    linked = await sign_in(google_client, google_keys.token(email))
    password = await google_client.post(
        "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )

    assert linked.status_code == 200
    assert linked.json()["user"] == existing["user"]
    assert password.status_code == 200


async def test_an_unverified_email_is_refused_linking(
    google_client: httpx.AsyncClient, google_keys: GoogleKeys
) -> None:
    email = unique_email()
    await register(google_client, email)

    linking = await sign_in(google_client, google_keys.token(email, verified=False))
    creating = await sign_in(google_client, google_keys.token(unique_email(), verified=False))

    assert linking.status_code == creating.status_code == 403
    assert error_code(linking) == "GOOGLE_EMAIL_UNVERIFIED"


async def test_keys_are_cached_between_sign_ins(
    google_client: httpx.AsyncClient, google_keys: GoogleKeys
) -> None:
    await sign_in(google_client, google_keys.token(unique_email()))
    hits = google_keys.hits

    for _ in range(3):
        assert (await sign_in(google_client, google_keys.token(unique_email()))).status_code == 200

    assert google_keys.hits == hits


async def test_without_a_client_id_google_sign_in_is_503(
    client: httpx.AsyncClient, google_keys: GoogleKeys
) -> None:
    response = await sign_in(client, google_keys.token(unique_email()))

    assert response.status_code == 503
    assert error_code(response) == "GOOGLE_NOT_CONFIGURED"


async def test_a_rotated_google_key_is_fetched_on_its_first_use(google_keys: GoogleKeys) -> None:
    verifier = GoogleTokenVerifier(
        client_id=GOOGLE_CLIENT_ID, jwks_url=google_keys.url, min_refresh_seconds=0
    )
    await verifier.verify(google_keys.token(unique_email()))
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = f"rotated-{uuid.uuid4().hex[:6]}"
    google_keys.extra.append(GoogleKeys.public_jwk(rotated, kid))
    hits = google_keys.hits
    try:
        person = await verifier.verify(google_keys.token("new@example.com", key=rotated, kid=kid))
    finally:
        google_keys.extra.clear()

    assert person.email == "new@example.com"
    assert google_keys.hits == hits + 1


async def test_an_unreachable_key_server_is_503() -> None:
    verifier = GoogleTokenVerifier(client_id=GOOGLE_CLIENT_ID, jwks_url="http://127.0.0.1:9/certs")
    keys = GoogleKeys()  # only used to sign; its server is never started
    keys.server.server_close()

    with pytest.raises(DependencyUnavailable) as caught:
        await verifier.verify(keys.token(unique_email()))

    assert caught.value.status == 503

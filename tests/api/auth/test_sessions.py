"""Sign-up and sign-in over HTTP: shapes, error codes, validation details, login limits."""

from __future__ import annotations

import asyncio
import random

import httpx
from sqlalchemy import text

from tests.api.auth.conftest import (
    PASSWORD,
    AuthClientFactory,
    error_code,
    register,
    unique_email,
)
from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.auth.settings import AuthSettings

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def assert_session(body: dict[str, object], email: str) -> None:
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    user = body["user"]
    assert isinstance(user, dict)
    assert set(user) == {"id", "email", "name", "role"}
    assert user["email"] == email
    assert user["role"] == "customer"


async def test_register_answers_201_with_the_user_and_a_token_pair(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()

    response = await client.post(
        REGISTER, json={"email": f"  {email.upper()}  ", "password": PASSWORD, "name": "  Minji "}
    )

    assert response.status_code == 201
    body = response.json()
    assert_session(body, email)
    assert body["user"]["name"] == "Minji"
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["email"] == email


async def test_registering_publishes_user_registered(
    client: httpx.AsyncClient, settings: PlatformSettings
) -> None:
    body = await register(client)
    assert settings.database_url
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.engine.connect() as conn:
            kinds = (
                await conn.scalars(
                    text("SELECT event_type FROM auth.outbox WHERE payload->>'user_id' = :u"),
                    {"u": body["user"]["id"]},
                )
            ).all()
    finally:
        await db.dispose()
    assert kinds == ["UserRegistered"]


async def test_a_taken_email_is_409_email_taken_whatever_its_case(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    await register(client, email)

    response = await client.post(
        REGISTER, json={"email": email.upper(), "password": PASSWORD, "name": "Again"}
    )

    assert response.status_code == 409
    assert error_code(response) == "EMAIL_TAKEN"


async def test_concurrent_registrations_of_one_email_give_one_201_and_one_409(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    payload = {"email": email, "password": PASSWORD, "name": "Twin"}

    first, second = await asyncio.gather(
        client.post(REGISTER, json=payload), client.post(REGISTER, json=payload)
    )

    assert sorted([first.status_code, second.status_code]) == [201, 409]
    loser = first if first.status_code == 409 else second
    assert error_code(loser) == "EMAIL_TAKEN"


async def test_validation_errors_name_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER, json={"email": "not-an-email", "password": "short", "name": "   "}
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert set(error["details"]) == {"email", "password", "name"}
    assert "10" in error["details"]["password"]


async def test_common_passwords_are_refused_per_field(client: httpx.AsyncClient) -> None:
    for password in ("password123", "QwertyUiop", "1234567890"):
        response = await client.post(
            REGISTER, json={"email": unique_email(), "password": password, "name": "Fan"}
        )

        assert response.status_code == 422
        details = response.json()["error"]["details"]
        assert set(details) == {"password"}
        assert "common" in details["password"]


async def test_the_password_may_not_be_the_email(client: httpx.AsyncClient) -> None:
    email = unique_email()

    response = await client.post(REGISTER, json={"email": email, "password": email, "name": "Fan"})

    assert response.status_code == 422
    assert set(response.json()["error"]["details"]) == {"password"}


async def test_overlong_passwords_and_names_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER, json={"email": unique_email(), "password": "p" * 129, "name": "n" * 101}
    )

    assert response.status_code == 422
    assert set(response.json()["error"]["details"]) == {"password", "name"}


async def test_login_answers_200_with_the_same_shape(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email)

    response = await client.post(LOGIN, json={"email": email.title(), "password": PASSWORD})

    assert response.status_code == 200
    assert_session(response.json(), email)


async def test_unknown_email_and_wrong_password_get_the_same_401(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    await register(client, email)

    wrong = await client.post(LOGIN, json={"email": email, "password": "not the password"})
    unknown = await client.post(LOGIN, json={"email": unique_email(), "password": PASSWORD})

    assert wrong.status_code == unknown.status_code == 401
    assert error_code(wrong) == "INVALID_CREDENTIALS"
    assert wrong.json() == unknown.json()


def forwarded_for() -> dict[str, str]:
    ip = f"198.51.{random.randint(0, 255)}.{random.randint(1, 254)}"
    return {"X-Forwarded-For": ip}


async def test_a_login_flood_from_one_ip_gets_429_with_retry_after(
    auth_client: AuthClientFactory, settings: PlatformSettings
) -> None:
    client = await auth_client(
        AuthSettings(login_per_ip_per_minute=3, login_per_email_per_minute=100),
        settings.model_copy(update={"trusted_proxy_hops": 1}),
    )
    headers = forwarded_for()

    answers = [
        await client.post(
            LOGIN, json={"email": unique_email(), "password": PASSWORD}, headers=headers
        )
        for _ in range(4)
    ]

    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    limited = answers[-1]
    assert error_code(limited) == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) >= 1
    other_ip = await client.post(
        LOGIN, json={"email": unique_email(), "password": PASSWORD}, headers=forwarded_for()
    )
    assert other_ip.status_code == 401


async def test_guessing_one_email_from_many_ips_is_limited_per_email(
    auth_client: AuthClientFactory, settings: PlatformSettings
) -> None:
    client = await auth_client(
        AuthSettings(login_per_ip_per_minute=100, login_per_email_per_minute=2),
        settings.model_copy(update={"trusted_proxy_hops": 1}),
    )
    email = unique_email()
    await register(client, email)

    answers = [
        await client.post(
            LOGIN, json={"email": email, "password": "guess number x"}, headers=forwarded_for()
        )
        for _ in range(3)
    ]
    # The owner is limited too until the bucket refills: that is the point of the limit.
    owner = await client.post(
        LOGIN, json={"email": email, "password": PASSWORD}, headers=forwarded_for()
    )
    someone_else = await client.post(
        LOGIN, json={"email": unique_email(), "password": PASSWORD}, headers=forwarded_for()
    )

    assert [a.status_code for a in answers] == [401, 401, 429]
    assert "Retry-After" in answers[-1].headers
    assert owner.status_code == 429
    assert someone_else.status_code == 401

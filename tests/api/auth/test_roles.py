"""PUT /api/v1/auth/users/{id}/role: admins only, with the codes API.md promises."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import text

from tests.api.auth.conftest import PASSWORD, bearer, error_code, register, unique_email
from tiketi.kernel.db import Database
from tiketi.services.auth.commands import create_admin


@pytest.fixture
async def admin_token(client: httpx.AsyncClient, db: Database) -> str:
    email = unique_email("admin")
    await create_admin(db, email=email, password=PASSWORD, name="Admin")
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    token: str = response.json()["access_token"]
    return token


def role_path(user_id: str) -> str:
    return f"/api/v1/auth/users/{user_id}/role"


async def test_an_admin_changes_a_role(
    client: httpx.AsyncClient, admin_token: str, db: Database
) -> None:
    email = unique_email()
    session = await register(client, email, name="Future Organizer")
    user_id = session["user"]["id"]

    response = await client.put(
        role_path(user_id), json={"role": "organizer"}, headers=bearer(admin_token)
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": user_id,
        "email": email,
        "name": "Future Organizer",
        "role": "organizer",
    }
    # The next token of the user's session carries the new role.
    rotated = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    me = await client.get("/api/v1/auth/me", headers=bearer(rotated.json()["access_token"]))
    assert me.json()["role"] == "organizer"
    async with db.engine.connect() as conn:
        payloads = (
            await conn.scalars(
                text(
                    "SELECT payload FROM auth.outbox WHERE event_type = 'UserRoleChanged' "
                    "AND payload->>'user_id' = :u"
                ),
                {"u": user_id},
            )
        ).all()
    assert [p["role"] for p in payloads] == ["organizer"]


async def test_a_customer_may_not_change_roles(client: httpx.AsyncClient) -> None:
    customer = await register(client)
    target = await register(client)

    response = await client.put(
        role_path(target["user"]["id"]),
        json={"role": "admin"},
        headers=bearer(customer["access_token"]),
    )
    anonymous = await client.put(role_path(target["user"]["id"]), json={"role": "admin"})

    assert response.status_code == 403
    assert error_code(response) == "FORBIDDEN"
    assert anonymous.status_code == 401


async def test_unknown_users_are_404(client: httpx.AsyncClient, admin_token: str) -> None:
    for user_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = await client.put(
            role_path(user_id), json={"role": "staff"}, headers=bearer(admin_token)
        )

        assert response.status_code == 404
        assert error_code(response) == "USER_NOT_FOUND"


async def test_only_the_four_roles_exist(client: httpx.AsyncClient, admin_token: str) -> None:
    target = await register(client)

    response = await client.put(
        role_path(target["user"]["id"]), json={"role": "superuser"}, headers=bearer(admin_token)
    )

    assert response.status_code == 422
    assert error_code(response) == "VALIDATION_ERROR"
    assert "role" in response.json()["error"]["details"]


async def test_an_admin_cannot_demote_themself(client: httpx.AsyncClient, admin_token: str) -> None:
    me = (await client.get("/api/v1/auth/me", headers=bearer(admin_token))).json()

    response = await client.put(
        role_path(me["id"]), json={"role": "customer"}, headers=bearer(admin_token)
    )

    assert response.status_code == 409
    assert error_code(response) == "OWN_ROLE_CHANGE"

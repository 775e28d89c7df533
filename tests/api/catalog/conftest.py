"""Catalog over HTTP: an app with auth and catalog, accounts of every role, request builders."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import start_client
from tiketi.kernel.app_factory import create_app
from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.auth import module as auth_module
from tiketi.services.auth.commands import create_admin
from tiketi.services.auth.settings import AuthSettings
from tiketi.services.catalog import module as catalog_module
from tiketi.services.catalog.settings import CatalogSettings

PASSWORD = "a sturdy passphrase"
# argon2's cheapest parameters: these tests are about the catalog, not hashing cost.
FAST_AUTH = AuthSettings(password_time_cost=1, password_memory_kib=8 * 1024)


@dataclass(frozen=True)
class Account:
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Accounts:
    admin: Account
    organizer: Account
    other_organizer: Account
    customer: Account


async def _sign_up(client: httpx.AsyncClient, prefix: str) -> tuple[str, str]:
    email = f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": prefix}
    )
    assert response.status_code == 201, response.text
    return response.json()["user"]["id"], email


async def _login(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture(scope="session")
async def accounts(migrated: PlatformSettings) -> Accounts:
    """One admin, two organizers and a customer for the whole session (tokens last 15 min)."""
    app = create_app(migrated, [auth_module.build(migrated, FAST_AUTH)], edge=False)
    client, ctx = await start_client(app)
    assert migrated.database_url
    db = Database(migrated.database_url, pool_size=2)
    try:
        admin_email = f"admin-{uuid.uuid4().hex[:12]}@example.com"
        admin = await create_admin(
            db, email=admin_email, password=PASSWORD, name="Admin", settings=FAST_AUTH
        )
        admin_token = await _login(client, admin_email)
        made: dict[str, Account] = {}
        for name, role in (
            ("organizer", "organizer"),
            ("other_organizer", "organizer"),
            ("customer", "customer"),
        ):
            user_id, email = await _sign_up(client, name.replace("_", "-"))
            if role != "customer":
                response = await client.put(
                    f"/api/v1/auth/users/{user_id}/role",
                    json={"role": role},
                    headers={"Authorization": f"Bearer {admin_token}"},
                )
                assert response.status_code == 200, response.text
            made[name] = Account(user_id, await _login(client, email))
    finally:
        # Stopped before the tests run: a session-long app would keep relaying auth's outbox
        # (to its Redis database) under the feet of tests that read those events elsewhere.
        await db.dispose()
        await client.aclose()
        await ctx.__aexit__(None, None, None)  # type: ignore[attr-defined]
    return Accounts(admin=Account(admin["id"], admin_token), **made)


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
async def api(settings: PlatformSettings, media_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client to an app serving auth and catalog, posters under a temporary directory."""
    catalog = catalog_module.build(settings, CatalogSettings(media_dir=media_dir))
    app = create_app(settings, [auth_module.build(settings, FAST_AUTH), catalog], edge=False)
    client, ctx = await start_client(app)
    try:
        yield client
    finally:
        await client.aclose()
        await ctx.__aexit__(None, None, None)  # type: ignore[attr-defined]


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def venue_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Hall {uuid.uuid4().hex[:8]}",
        "address": "서울특별시 송파구 올림픽로 424",
        "sections": [
            {"name": "Floor", "rows": [{"label": "A", "seats": 3}, {"label": "B", "seats": 2}]},
            {"name": "Balcony", "rows": [{"label": "1", "seats": ["L1", "L2", "R1"]}]},
        ],
    }
    body.update(overrides)
    return body


def event_body(venue_id: str, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    body: dict[str, Any] = {
        "title": f"Concert {uuid.uuid4().hex[:8]}",
        "description": "An evening of songs.",
        "venue_id": venue_id,
        "starts_at": (now + timedelta(days=30)).isoformat(),
        "ends_at": (now + timedelta(days=30, hours=3)).isoformat(),
        "sale_opens_at": (now - timedelta(hours=1)).isoformat(),
        "sale_closes_at": (now + timedelta(days=29)).isoformat(),
        "grades": [
            {"code": "VIP", "name": "VIP석", "price": 165000},
            {"code": "R", "name": "R석", "price": 99000},
        ],
        "seat_grades": {"Floor": "VIP", "Balcony": "R"},
        "max_tickets_per_user": 4,
        "queue": {"enabled": True, "max_active": 100, "admit_per_second": 10},
    }
    body.update(overrides)
    return body


async def create_venue(
    client: httpx.AsyncClient, account: Account, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/venues", json=venue_body(**overrides), headers=account.headers
    )
    assert response.status_code == 201, response.text
    venue: dict[str, Any] = response.json()
    return venue


async def create_event(
    client: httpx.AsyncClient, account: Account, venue_id: str | None = None, **overrides: Any
) -> dict[str, Any]:
    if venue_id is None:
        venue_id = (await create_venue(client, account))["id"]
    response = await client.post(
        "/api/v1/events", json=event_body(venue_id, **overrides), headers=account.headers
    )
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


async def publish(client: httpx.AsyncClient, account: Account, event_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/events/{event_id}/publish", headers=account.headers)
    assert response.status_code == 200, response.text
    event: dict[str, Any] = response.json()
    return event

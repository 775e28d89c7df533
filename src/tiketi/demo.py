"""`tiketi seed-demo`: an organizer, a fan, a 2,000-seat venue and an event on sale now.

It goes through the public API of an in-process app (the same code path as any client), so the
demo data is exactly what a real organizer would have made. It is idempotent: a second run finds
the demo event and only prints where to look. The logins are public demo values and the command
refuses to run in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tiketi.app import create_platform_app
from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.auth.commands import create_admin

DEMO_TITLE = "Tiketi Demo Concert"
ADMIN = ("admin@example.com", "tiketi-demo-admin")  # public demo values, never production
ORGANIZER = ("organizer@example.com", "tiketi-demo-organizer")
FAN = ("fan@example.com", "tiketi-demo-fan")
SECTIONS = {"A": "VIP", "B": "R", "C": "R", "D": "S"}
ROWS = [chr(ord("A") + i) for i in range(20)]


class DemoRefused(RuntimeError):
    """Demo accounts have public passwords: never in production."""


@dataclass(frozen=True)
class DemoInfo:
    """What seed-demo made or found."""

    event_id: str
    created: bool


async def _session(client: httpx.AsyncClient, email: str, password: str, name: str) -> str:
    body = {"email": email, "password": password, "name": name}
    response = await client.post("/api/v1/auth/register", json=body)
    if response.status_code == 409:
        response = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _existing(client: httpx.AsyncClient) -> str | None:
    response = await client.get("/api/v1/events", params={"q": DEMO_TITLE, "limit": 100})
    response.raise_for_status()
    for item in response.json()["items"]:
        if item["title"] == DEMO_TITLE and item["status"] == "published":
            return str(item["id"])
    return None


def _event_body(venue_id: str, now: datetime) -> dict[str, Any]:
    starts = (now + timedelta(days=30)).replace(hour=11, minute=0, second=0, microsecond=0)
    return {
        "title": DEMO_TITLE,
        "description": "A demo event on sale now, with the waiting room on.",
        "venue_id": venue_id,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "sale_opens_at": (now - timedelta(minutes=1)).isoformat(),
        "sale_closes_at": (starts - timedelta(hours=1)).isoformat(),
        "grades": [
            {"code": "VIP", "name": "VIP", "price": 165000},
            {"code": "R", "name": "R", "price": 143000},
            {"code": "S", "name": "S", "price": 121000},
        ],
        "seat_grades": SECTIONS,
        "max_tickets_per_user": 4,
        "queue": {"enabled": True, "max_active": 200, "admit_per_second": 20},
    }


async def _create(client: httpx.AsyncClient, organizer: str) -> str:
    venue = {
        "name": "Tiketi Demo Hall",
        "address": "424 Olympic-ro, Songpa-gu, Seoul",
        "sections": [
            {"name": name, "rows": [{"label": row, "seats": 25} for row in ROWS]}
            for name in SECTIONS
        ],
    }
    response = await client.post("/api/v1/venues", json=venue, headers=_auth(organizer))
    response.raise_for_status()
    body = _event_body(response.json()["id"], datetime.now(UTC))
    response = await client.post("/api/v1/events", json=body, headers=_auth(organizer))
    response.raise_for_status()
    event_id = str(response.json()["id"])
    response = await client.post(f"/api/v1/events/{event_id}/publish", headers=_auth(organizer))
    response.raise_for_status()
    return event_id


async def seed_demo(settings: PlatformSettings) -> DemoInfo:
    """Make the demo data unless it exists; the settings' engines must be migrated."""
    if settings.is_production:
        raise DemoRefused("seed-demo makes accounts with public passwords: not in production")
    assert settings.database_url
    db = Database(settings.database_url)
    try:
        await create_admin(db, email=ADMIN[0], password=ADMIN[1], name="Demo Admin")
    finally:
        await db.dispose()
    app = create_platform_app(settings.model_copy(update={"rate_limit_per_minute": 0}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            existing = await _existing(client)
            if existing is not None:
                return DemoInfo(event_id=existing, created=False)
            admin = await _session(client, *ADMIN, "Demo Admin")
            organizer = await _session(client, *ORGANIZER, "Demo Organizer")
            await _session(client, *FAN, "Demo Fan")
            me = await client.get("/api/v1/auth/me", headers=_auth(organizer))
            role = await client.put(
                f"/api/v1/auth/users/{me.json()['id']}/role",
                json={"role": "organizer"},
                headers=_auth(admin),
            )
            role.raise_for_status()
            organizer = await _session(client, *ORGANIZER, "Demo Organizer")
            return DemoInfo(event_id=await _create(client, organizer), created=True)


def describe(info: DemoInfo, base_url: str) -> str:
    """What to print for a new user."""
    verb = "created" if info.created else "already there"
    return "\n".join(
        [
            f"Demo data {verb}:",
            f"  event      {base_url}/api/v1/events/{info.event_id}",
            f"  API docs   {base_url}/docs",
            f"  organizer  {ORGANIZER[0]} / {ORGANIZER[1]}",
            f"  fan        {FAN[0]} / {FAN[1]}",
            f"  admin      {ADMIN[0]} / {ADMIN[1]}",
        ]
    )

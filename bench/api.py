"""Setting a benchmark up through the public API, as a real organizer and real fans would."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.stack import ADMIN

PASSWORD = "bench fan passphrase"  # noqa: S105 - throwaway accounts
SEATS_PER_ROW = 50
ROWS_PER_SECTION = 40
GRADE = "R"


@dataclass(frozen=True)
class Fan:
    """A signed-up fan: id, access token, and the address its requests come from."""

    id: str
    token: str
    ip: str

    @property
    def headers(self) -> dict[str, str]:
        """What every request of this fan carries."""
        return {"Authorization": f"Bearer {self.token}", "X-Forwarded-For": self.ip}


def address(index: int) -> str:
    """A distinct client address per fan for X-Forwarded-For (a header value, never dialled)."""
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def _ok(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    if response.status_code not in statuses:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json() if response.content else {}
    return body


async def _session(client: httpx.AsyncClient, email: str, password: str, ip: str) -> str:
    headers = {"X-Forwarded-For": ip}
    body = {"email": email, "password": password, "name": email.split("@")[0]}
    response = await client.post("/api/v1/auth/register", json=body, headers=headers)
    if response.status_code == 409:
        response = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
        )
    token: str = _ok(response, 200, 201)["access_token"]
    return token


async def organizer(client: httpx.AsyncClient) -> str:
    """An organizer's access token: signed up, promoted by the admin, signed in again."""
    admin = await _session(client, *ADMIN, "10.255.0.1")
    email = f"organizer-{uuid.uuid4().hex[:8]}@example.com"
    token = await _session(client, email, PASSWORD, "10.255.0.2")
    auth = {"Authorization": f"Bearer {token}"}
    me = _ok(await client.get("/api/v1/auth/me", headers=auth), 200)
    _ok(
        await client.put(
            f"/api/v1/auth/users/{me['id']}/role",
            json={"role": "organizer"},
            headers={"Authorization": f"Bearer {admin}"},
        ),
        200,
    )
    # A role change reaches tokens at the next sign-in.
    return await _session(client, email, PASSWORD, "10.255.0.2")


async def fans(client: httpx.AsyncClient, count: int, *, first: int = 0) -> list[Fan]:
    """Sign up `count` fans (a few at a time: each sign-up hashes a password)."""
    gate = asyncio.Semaphore(8)
    run = uuid.uuid4().hex[:8]

    async def one(index: int) -> Fan:
        ip = address(first + index)
        email = f"fan-{run}-{index}@example.com"
        body = {"email": email, "password": PASSWORD, "name": f"Fan {index}"}
        async with gate:
            response = await client.post(
                "/api/v1/auth/register", json=body, headers={"X-Forwarded-For": ip}
            )
        data = _ok(response, 201)
        return Fan(data["user"]["id"], data["access_token"], ip)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def layout(seats: int) -> list[dict[str, Any]]:
    """Sections of 40 rows of 50 seats holding exactly `seats` seats."""
    rows = [SEATS_PER_ROW] * (seats // SEATS_PER_ROW)
    if seats % SEATS_PER_ROW:
        rows.append(seats % SEATS_PER_ROW)
    sections: list[dict[str, Any]] = []
    for start in range(0, len(rows), ROWS_PER_SECTION):
        chunk = rows[start : start + ROWS_PER_SECTION]
        sections.append(
            {
                "name": f"S{len(sections) + 1}",
                "rows": [{"label": f"R{i + 1}", "seats": n} for i, n in enumerate(chunk)],
            }
        )
    return sections


@dataclass(frozen=True)
class Published:
    """An event on sale now, and how long its inventory took to appear in booking."""

    event_id: str
    seat_ids: list[int]
    publish_seconds: float
    inventory_seconds: float


async def draft_event(
    client: httpx.AsyncClient,
    token: str,
    *,
    seats: int,
    max_tickets: int = 20,
    queue: dict[str, Any] | None = None,
    opens_in: float | None = None,
) -> str:
    """A venue of `seats` seats and a draft event on it, on sale from publication on (or
    `opens_in` seconds from now: its waiting room has a pre-queue until then)."""
    auth = {"Authorization": f"Bearer {token}"}
    venue = {"name": f"Bench Hall {seats}", "address": "Loopback 1", "sections": layout(seats)}
    venue_id = _ok(await client.post("/api/v1/venues", json=venue, headers=auth), 201)["id"]
    now = datetime.now(UTC)
    starts = now + timedelta(days=30)
    opens = now - timedelta(minutes=1) if opens_in is None else now + timedelta(seconds=opens_in)
    body = {
        "title": f"Bench {seats} seats {uuid.uuid4().hex[:6]}",
        "venue_id": venue_id,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "sale_opens_at": opens.isoformat(),
        "sale_closes_at": (starts - timedelta(days=1)).isoformat(),
        "grades": [{"code": GRADE, "name": "Regular", "price": 99000}],
        "seat_grades": {section["name"]: GRADE for section in layout(seats)},
        "max_tickets_per_user": max_tickets,
        "queue": queue or {"enabled": False, "max_active": 1000, "admit_per_second": 100},
    }
    event_id: str = _ok(await client.post("/api/v1/events", json=body, headers=auth), 201)["id"]
    return event_id


async def move_opening(
    client: httpx.AsyncClient, token: str, event_id: str, *, seconds: float
) -> datetime:
    """Move the sale's opening to `seconds` from now (an organizer's PATCH); when it opens."""
    opens = datetime.now(UTC) + timedelta(seconds=seconds)
    _ok(
        await client.patch(
            f"/api/v1/events/{event_id}",
            json={"sale_opens_at": opens.isoformat()},
            headers={"Authorization": f"Bearer {token}"},
        ),
        200,
    )
    return opens


async def publish(client: httpx.AsyncClient, token: str, event_id: str) -> Published:
    """Publish, then poll the seat map until booking built the inventory from EventPublished."""
    auth = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    _ok(await client.post(f"/api/v1/events/{event_id}/publish", headers=auth), 200)
    published = time.perf_counter()
    deadline = published + 300
    while time.perf_counter() < deadline:
        response = await client.get(f"/api/v1/events/{event_id}/seats")
        if response.status_code == 200:
            done = time.perf_counter()
            seat_ids = [seat["id"] for seat in response.json()["seats"]]
            return Published(event_id, seat_ids, published - started, done - started)
        _ok(response, 404)
        await asyncio.sleep(0.02)
    raise RuntimeError(f"booking has no inventory for {event_id} after 300 s")


async def event_on_sale(
    client: httpx.AsyncClient, token: str, *, seats: int, max_tickets: int = 20
) -> Published:
    """A published event of `seats` seats whose inventory booking has built."""
    event_id = await draft_event(client, token, seats=seats, max_tickets=max_tickets)
    return await publish(client, token, event_id)


def fans_for(seats: int, per_fan: int, spare: int) -> int:
    """How many fans it takes to want `seats` seats at `per_fan` each, plus `spare`."""
    return math.ceil(seats / per_fan) + spare

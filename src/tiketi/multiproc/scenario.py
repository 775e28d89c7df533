"""Setting a sale up over a running platform through its public API: the first admin, an
organizer, a venue and a published event, fans. Used by the cluster's tests and flash sale."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "cluster fan passphrase"  # noqa: S105 - throwaway accounts
ADMIN_PASSWORD = "cluster admin passphrase"  # noqa: S105 - throwaway accounts
SEATS_PER_ROW = 25
GRADE = "R"
PRICE = 99000


class SetupError(RuntimeError):
    """The platform refused a set-up step."""


def ok(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """The JSON body of an expected answer; SetupError with the answer otherwise."""
    if response.status_code not in statuses:
        raise SetupError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json() if response.content else {}
    return body


@dataclass(frozen=True)
class Fan:
    """A signed-up user and their access token."""

    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}


def create_admin(env: Mapping[str, str], cwd: Path) -> str:
    """`tiketi admin create` against the cluster's database, as an operator does; the email."""
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tiketi.cli", "admin", "create", "--email", email,
         "--password", ADMIN_PASSWORD, "--name", "Cluster Admin"],
        env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SetupError(f"tiketi admin create failed: {done.stderr}")
    return email


async def login(client: httpx.AsyncClient, email: str, password: str) -> Fan:
    """Sign in."""
    body = ok(
        await client.post("/api/v1/auth/login", json={"email": email, "password": password}), 200
    )
    return Fan(body["user"]["id"], email, body["access_token"])


async def sign_up(client: httpx.AsyncClient, prefix: str = "fan") -> Fan:
    """A new customer account."""
    email = f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "password": PASSWORD, "name": prefix}
    data = ok(await client.post("/api/v1/auth/register", json=body), 201)
    return Fan(data["user"]["id"], email, data["access_token"])


async def sign_up_many(client: httpx.AsyncClient, count: int, *, at_once: int = 8) -> list[Fan]:
    """`count` fans, a few at a time (each sign-up hashes a password)."""
    gate = asyncio.Semaphore(at_once)

    async def one(index: int) -> Fan:
        async with gate:
            return await sign_up(client, f"fan{index}")

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def organizer(client: httpx.AsyncClient, admin_email: str) -> Fan:
    """A new organizer: signed up, promoted by the admin, signed in again (roles ride tokens)."""
    admin = await login(client, admin_email, ADMIN_PASSWORD)
    user = await sign_up(client, "organizer")
    ok(
        await client.put(
            f"/api/v1/auth/users/{user.id}/role", json={"role": "organizer"}, headers=admin.headers
        ),
        200,
    )
    return await login(client, user.email, PASSWORD)


def layout(seats: int) -> list[dict[str, Any]]:
    """One section of rows of 25 seats holding exactly `seats` seats."""
    rows = [SEATS_PER_ROW] * (seats // SEATS_PER_ROW)
    if seats % SEATS_PER_ROW:
        rows.append(seats % SEATS_PER_ROW)
    return [{"name": "Floor", "rows": [{"label": f"R{i + 1}", "seats": n}
                                       for i, n in enumerate(rows)]}]  # fmt: skip


@dataclass(frozen=True)
class Sale:
    """A published event on sale now whose inventory booking (and the room) has."""

    event_id: str
    seat_ids: list[int]
    price: int


async def publish_sale(
    client: httpx.AsyncClient,
    owner: Fan,
    *,
    seats: int,
    max_tickets: int = 4,
    queue: dict[str, Any] | None = None,
    timeout: float = 120.0,
) -> Sale:
    """Venue, event, publish; then wait until booking serves the seat map (and, with a room,
    until the waiting room knows the event): both come from EventPublished."""
    venue = {"name": f"Hall {seats}", "address": "Loopback 1", "sections": layout(seats)}
    venue_id = ok(await client.post("/api/v1/venues", json=venue, headers=owner.headers), 201)
    now = datetime.now(UTC)
    starts = now + timedelta(days=30)
    queue_policy = queue or {"enabled": False, "max_active": 1000, "admit_per_second": 100}
    body = {
        "title": f"Cluster sale {uuid.uuid4().hex[:6]}",
        "description": "A flash sale over the multi-process mode.",
        "venue_id": venue_id["id"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "sale_opens_at": (now - timedelta(minutes=1)).isoformat(),
        "sale_closes_at": (starts - timedelta(days=1)).isoformat(),
        "grades": [{"code": GRADE, "name": "Regular", "price": PRICE}],
        "seat_grades": {"Floor": GRADE},
        "max_tickets_per_user": max_tickets,
        "queue": queue_policy,
    }
    event = ok(await client.post("/api/v1/events", json=body, headers=owner.headers), 201)
    event_id = event["id"]
    ok(await client.post(f"/api/v1/events/{event_id}/publish", headers=owner.headers), 200)
    deadline = time.monotonic() + timeout
    seat_map = await _until(client, f"/api/v1/events/{event_id}/seats", deadline)
    if queue_policy.get("enabled"):
        await _until(client, f"/api/v1/queue/{event_id}/fairness", deadline)
    return Sale(event_id, [seat["id"] for seat in seat_map["seats"]], PRICE)


async def _until(client: httpx.AsyncClient, path: str, deadline: float) -> dict[str, Any]:
    """Poll `path` until 200 (404 while the consumer has not applied the event yet)."""
    while time.monotonic() < deadline:
        response = await client.get(path)
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        if response.status_code not in (404, 502, 503):
            ok(response, 200)
        await asyncio.sleep(0.1)
    raise SetupError(f"{path} still not served after the deadline")

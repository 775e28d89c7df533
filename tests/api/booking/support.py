"""Helpers for booking tests: published events straight into booking's inventory, fans."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.booking.conftest import FAST_AUTH
from tiketi.contracts.catalog import EventPublished, GradeInfo, QueuePolicyInfo, SeatInfo
from tiketi.kernel.db import Database, UnitOfWork
from tiketi.services.auth.commands import create_admin
from tiketi.services.booking.adapters.inventory import Inventory

PASSWORD = "a sturdy passphrase"


@dataclass(frozen=True)
class Fan:
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_up(client: httpx.AsyncClient, prefix: str = "fan") -> Fan:
    email = f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": prefix}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Fan(body["user"]["id"], body["access_token"])


async def sign_up_admin(client: httpx.AsyncClient, db: Database) -> Fan:
    """An admin made as `tiketi create-admin` makes one (straight in auth's tables), logged in."""
    email = f"admin-{uuid.uuid4().hex[:12]}@example.com"
    made = await create_admin(db, email=email, password=PASSWORD, name="Admin", settings=FAST_AUTH)
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return Fan(str(made["id"]), login.json()["access_token"])


def published_event(
    *,
    rows: int = 2,
    per_row: int = 10,
    grades: tuple[str, ...] = ("VIP",),
    max_tickets: int = 4,
    queue: bool = False,
    opens_in: timedelta = timedelta(hours=-1),
    closes_in: timedelta = timedelta(days=1),
    starts_in: timedelta = timedelta(days=2),
    first_seat_id: int | None = None,
) -> EventPublished:
    """An EventPublished with `rows` rows of `per_row` seats per grade (one section each)."""
    now = datetime.now(UTC)
    base = first_seat_id if first_seat_id is not None else uuid.uuid4().int % 10**12
    seats = []
    prices = {"VIP": 165000, "R": 99000, "S": 77000}
    for section_index, grade in enumerate(grades):
        for row_index in range(rows):
            for seat_index in range(per_row):
                seats.append(
                    SeatInfo(
                        seat_id=base + len(seats),
                        section=f"Section {grade}",
                        row=chr(ord("A") + row_index),
                        number=str(seat_index + 1),
                        section_index=section_index,
                        row_index=row_index,
                        seat_index=seat_index,
                        grade=grade,
                        price=prices.get(grade, 50000),
                    )
                )
    return EventPublished(
        event_id=str(uuid.uuid4()),
        organizer_id=str(uuid.uuid4()),
        title="Concert",
        venue_id=str(uuid.uuid4()),
        venue_name="Hall",
        starts_at=now + starts_in,
        ends_at=now + starts_in + timedelta(hours=3),
        sale_opens_at=now + opens_in,
        sale_closes_at=now + closes_in,
        max_tickets_per_user=max_tickets,
        queue=QueuePolicyInfo(enabled=queue, max_active=100, admit_per_second=10),
        grades=[
            GradeInfo(code=g, name=g, price=prices.get(g, 50000), seat_count=rows * per_row)
            for g in grades
        ],
        seat_count=len(seats),
        seats=seats,
    )


async def install(db: Database, event: EventPublished) -> bool:
    """Create the event's inventory as booking's handler does (without the stream)."""
    async with UnitOfWork(db.sessions) as uow:
        created = await Inventory(uow.session).create_event(event)
        await uow.commit()
    return created


def seat_ids(event: EventPublished) -> list[int]:
    return [seat.seat_id for seat in event.seats]


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def details(response: httpx.Response) -> dict[str, Any]:
    value: dict[str, Any] = response.json()["error"]["details"]
    return value

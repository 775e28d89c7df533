"""Events as other services would announce them, delivered straight to the streams."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tiketi.contracts.auth import UserRegistered
from tiketi.contracts.booking import IssuedTicket, ReservationConfirmed, TicketsIssued
from tiketi.contracts.catalog import EventPublished, QueuePolicyInfo
from tiketi.contracts.events import IntegrationEvent
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.streams import ConsumeStats, drain, stream_name
from tiketi.services.notify.module import notify_subscription
from tiketi.services.notify.service.common import Notify
from tiketi.services.notify.service.sender import send_due


async def deliver(runtime: Runtime, *events: IntegrationEvent) -> None:
    """XADD each event as the relay would (a repeat is a redelivery of the same message)."""
    for event in events:
        await runtime.redis.xadd(
            stream_name(event.event_type),
            {
                "event_id": str(event.message_id),
                "event_type": event.event_type,
                "version": str(event.version),
                "payload": event.model_dump_json(),
            },
        )


async def consume(runtime: Runtime) -> ConsumeStats:
    """Notify's consumer group reads everything delivered so far."""
    return await asyncio.wait_for(drain(runtime, notify_subscription()), 20)


async def send_all(notify: Notify, *, passes: int = 1) -> None:
    """Run the sender `passes` times (each claims whatever is due)."""
    for _ in range(passes):
        await send_due(notify=notify)


def user(locale: str = "ko", name: str = "민지") -> UserRegistered:
    uid = uuid.uuid4()
    return UserRegistered(
        user_id=str(uid), email=f"fan-{uid.hex[:10]}@example.com", name=name, locale=locale
    )


def event(title: str = "아이유 콘서트", venue: str = "KSPO DOME") -> EventPublished:
    starts = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)  # 19:00 in Seoul
    return EventPublished(
        event_id=str(uuid.uuid4()),
        organizer_id=str(uuid.uuid4()),
        title=title,
        venue_id=str(uuid.uuid4()),
        venue_name=venue,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        sale_opens_at=starts - timedelta(days=30),
        sale_closes_at=starts - timedelta(hours=1),
        max_tickets_per_user=4,
        queue=QueuePolicyInfo(enabled=False, max_active=100, admit_per_second=10),
        grades=[],
        seat_count=0,
        seats=[],
    )


def tickets_issued(
    fan: UserRegistered, show: EventPublished, seats: int = 2
) -> tuple[ReservationConfirmed, TicketsIssued]:
    reservation_id = f"ord_{uuid.uuid4().hex[:16]}"
    tickets = [
        IssuedTicket(
            ticket_id=str(uuid.uuid4()),
            seat_id=1000 + n,
            section="Floor A",
            row="B",
            number=str(n + 1),
            grade="VIP",
            qr_token=f"T1.{uuid.uuid4().hex}.{n}",
        )
        for n in range(seats)
    ]
    common: dict[str, Any] = {
        "reservation_id": reservation_id,
        "event_id": show.event_id,
        "user_id": fan.user_id,
    }
    confirmed = ReservationConfirmed(
        **common, seat_ids=[t.seat_id for t in tickets], amount=165000 * seats, payment_key="pk"
    )
    return confirmed, TicketsIssued(**common, tickets=tickets)


async def emails(runtime: Runtime) -> list[dict[str, Any]]:
    """Every row of notify.emails."""
    async with runtime.db.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT * FROM notify.emails ORDER BY id"))
        return [dict(row._mapping) for row in rows]

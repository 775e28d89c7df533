"""Inventory from EventPublished (once, even replayed), cancellation, the seat-map snapshot."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.api.booking.support import published_event, seat_ids
from tiketi.contracts.catalog import EventCanceled, EventUpdated
from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.outbox import publish
from tiketi.kernel.relay import relay_batch
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.streams import Subscription, drain
from tiketi.services.booking.domain.errors import EventCanceled as Canceled
from tiketi.services.booking.service import holds, inventory, reservations
from tiketi.services.booking.service.common import Booking


async def _count(runtime: Runtime, sql: str, **params: object) -> int:
    async with runtime.db.engine.connect() as conn:
        return int((await conn.execute(sa.text(sql), params)).scalar() or 0)


def _subscription(booking: Booking) -> Subscription:
    return Subscription(
        group="booking",
        schema="booking",
        handlers=inventory.event_handlers(lambda: booking),
        claim_idle_ms=50,
    )


async def test_published_event_creates_inventory_once(runtime: Runtime, booking: Booking) -> None:
    event = published_event(rows=3, per_row=10)
    async with UnitOfWork(runtime.db.sessions) as uow:
        await publish(uow.session, "catalog", event)
        await uow.commit()
    sub = _subscription(booking)
    await relay_batch(runtime, schema="catalog", batch=1000)
    await asyncio.wait_for(drain(runtime, sub), 20)
    # Replayed: the relay sends the same message again (as after a crash before its commit).
    async with runtime.db.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE catalog.outbox SET published_at = NULL WHERE event_id = :id"),
            {"id": event.message_id},
        )
    await relay_batch(runtime, schema="catalog", batch=1000)
    await asyncio.wait_for(drain(runtime, sub), 20)
    assert (
        await _count(
            runtime,
            "SELECT count(*) FROM booking.events WHERE id = :id",
            id=uuid.UUID(event.event_id),
        )
        == 1
    )
    seats = "SELECT count(*) FROM booking.seats WHERE event_id = :id"
    assert await _count(runtime, seats, id=uuid.UUID(event.event_id)) == 30
    # A second message with the same event (a new message id) creates nothing either.
    async with UnitOfWork(runtime.db.sessions) as uow:
        await inventory.event_handlers(lambda: booking)[type(event)](event, uow.session)  # type: ignore[operator]
        await uow.commit()
    assert await _count(runtime, seats, id=uuid.UUID(event.event_id)) == 30
    counts = await runtime.redis.hgetall(f"booking:availability:{event.event_id}")
    assert counts == {"VIP": "30"}


async def _install(runtime: Runtime, booking: Booking, event: object) -> None:
    async with UnitOfWork(runtime.db.sessions) as uow:
        await inventory.event_handlers(lambda: booking)[type(event)](event, uow.session)  # type: ignore[operator]
        await uow.commit()


async def test_seat_map_snapshot_is_cached_and_versioned(
    runtime: Runtime, booking: Booking
) -> None:
    event = published_event()
    await _install(runtime, booking, event)
    first = json.loads((await inventory.seat_map(booking=booking, event_id=event.event_id)).body)
    cached = (await inventory.seat_map(booking=booking, event_id=event.event_id)).body
    assert json.loads(cached) == first
    user = str(uuid.uuid4())
    await holds.hold_seats(
        booking=booking, user_id=user, event_id=event.event_id, seat_ids=seat_ids(event)[:1]
    )
    # Concurrent misses share one rebuild.
    maps = await asyncio.gather(
        *(inventory.seat_map(booking=booking, event_id=event.event_id) for _ in range(50))
    )
    assert len({snapshot.body for snapshot in maps}) == 1
    second = json.loads(maps[0].body)
    assert second["version"] == first["version"] + 1
    assert [s["status"] for s in second["seats"] if s["id"] == seat_ids(event)[0]] == ["held"]


async def test_event_updated_and_canceled(runtime: Runtime, booking: Booking) -> None:
    event = published_event(max_tickets=2)
    await _install(runtime, booking, event)
    user = str(uuid.uuid4())
    hold = await holds.hold_seats(
        booking=booking, user_id=user, event_id=event.event_id, seat_ids=seat_ids(event)[:2]
    )
    reservation = await reservations.create_reservation(
        booking=booking, user_id=user, hold_id=hold.id
    )
    result = await reservations.confirm_reservation(
        booking=booking, reservation_id=reservation.id, payment_key="pk", amount=reservation.amount
    )
    assert result.confirmed
    update = EventUpdated(
        **event.model_dump(
            include={"event_id", "organizer_id", "title", "starts_at", "ends_at", "sale_opens_at",
                     "sale_closes_at", "queue"}
        ),
        max_tickets_per_user=6,
        changed=["max_tickets_per_user"],
    )  # fmt: skip
    await _install(runtime, booking, update)
    limit = "SELECT max_tickets_per_user FROM booking.events WHERE id = :id"
    assert await _count(runtime, limit, id=uuid.UUID(event.event_id)) == 6
    cancel = EventCanceled(
        event_id=event.event_id,
        organizer_id=event.organizer_id,
        title="New",
        canceled_at=datetime.now(UTC),
    )
    await _install(runtime, booking, cancel)
    got = await reservations.get_reservation(
        booking=booking, user_id=user, reservation_id=reservation.id
    )
    assert got.status == "canceled"
    outbox = (
        "SELECT count(*) FROM booking.outbox WHERE event_type = 'ReservationCanceled' "
        "AND payload->>'reservation_id' = :id AND (payload->>'refund')::boolean"
    )
    assert await _count(runtime, outbox, id=reservation.id) == 1
    sold = "SELECT count(*) FROM booking.seats WHERE event_id = :id AND status <> 'available'"
    assert await _count(runtime, sold, id=uuid.UUID(event.event_id)) == 0
    with pytest.raises(Canceled):
        await holds.hold_seats(
            booking=booking, user_id=user, event_id=event.event_id, seat_ids=seat_ids(event)[:1]
        )

"""Inventory from catalog's events, the seat-map snapshot, and the expired-hold sweeper."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.booking import SeatsReleased
from tiketi.contracts.catalog import EventCanceled, EventPublished, EventUpdated
from tiketi.contracts.events import IntegrationEvent
from tiketi.contracts.payment import PaymentRefunded
from tiketi.kernel.outbox import publish
from tiketi.kernel.streams import Handler
from tiketi.services.booking.adapters import metrics
from tiketi.services.booking.adapters.cache import Snapshot
from tiketi.services.booking.adapters.inventory import ExpiredSeat, Inventory
from tiketi.services.booking.adapters.orm import SCHEMA, Event, Hold, Reservation
from tiketi.services.booking.domain.errors import EventNotFound
from tiketi.services.booking.domain.models import (
    EventStatus,
    HoldStatus,
    ReservationStatus,
    seat_status,
)
from tiketi.services.booking.service.common import Booking, utcnow
from tiketi.services.booking.service.reservations import apply_payment_refunded, cancel_in_session


def event_handlers(current: Callable[[], Booking]) -> dict[type[IntegrationEvent], Handler]:
    """The handlers of booking's subscription to catalog's events and payment's refunds
    (`current` gives the process's Booking, made at start-up). They run in the consumer's
    transaction; their Redis writes go first, which is safe: counts and versions only ever
    force a re-read."""

    async def on_published(event: EventPublished, session: AsyncSession) -> None:
        if await Inventory(session).create_event(event):
            counts = Counter(seat.grade for seat in event.seats)
            await current().cache.store_availability(event.event_id, dict(counts))

    async def on_updated(event: EventUpdated, session: AsyncSession) -> None:
        await apply_event_updated(session, event)

    async def on_canceled(event: EventCanceled, session: AsyncSession) -> None:
        freed, version = await apply_event_canceled(session, event)
        if freed:
            changes = dict.fromkeys(freed, "available")
            await current().announce(uuid.UUID(event.event_id), version, changes)

    async def on_refunded(event: PaymentRefunded, session: AsyncSession) -> None:
        await apply_payment_refunded(
            session, reservation_id=event.reservation_id, payment_key=event.payment_key
        )

    return {
        EventPublished: on_published,
        EventUpdated: on_updated,
        EventCanceled: on_canceled,
        PaymentRefunded: on_refunded,
    }


async def apply_event_updated(session: AsyncSession, event: EventUpdated) -> None:
    """Take over the sale window, limits and queue policy catalog changed."""
    await session.execute(
        update(Event)
        .where(Event.id == uuid.UUID(event.event_id))
        .values(
            title=event.title,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            sale_opens_at=event.sale_opens_at,
            sale_closes_at=event.sale_closes_at,
            max_tickets_per_user=event.max_tickets_per_user,
            queue_enabled=event.queue.enabled,
            queue_max_active=event.queue.max_active,
            queue_admit_per_second=event.queue.admit_per_second,
            updated_at=utcnow(),
        )
    )


async def apply_event_canceled(
    session: AsyncSession, event: EventCanceled
) -> tuple[list[int], int]:
    """Stop the sale, cancel every live reservation (paid ones are refunded), free every seat."""
    event_id = uuid.UUID(event.event_id)
    row = await session.scalar(select(Event).where(Event.id == event_id).with_for_update())
    if row is None or row.status == EventStatus.CANCELED:
        return [], 0
    row.status = EventStatus.CANCELED.value
    now = utcnow()
    live = (
        await session.scalars(
            select(Reservation)
            .where(
                Reservation.event_id == event_id,
                Reservation.status.in_(
                    [ReservationStatus.PENDING_PAYMENT.value, ReservationStatus.CONFIRMED.value]
                ),
            )
            .order_by(Reservation.id)
            .with_for_update()
        )
    ).all()
    for reservation in live:
        await cancel_in_session(session, reservation, reason="event_canceled", now=now, bump=False)
    await session.execute(
        update(Hold)
        .where(Hold.event_id == event_id, Hold.status == HoldStatus.ACTIVE.value)
        .values(status=HoldStatus.RELEASED.value)
    )
    inventory = Inventory(session)
    freed = await inventory.release_all(event_id=event_id)
    if freed:
        await publish(
            session,
            SCHEMA,
            SeatsReleased(event_id=event.event_id, seat_ids=freed, reason="event_canceled"),
        )
    return freed, await inventory.bump_version(event_id)


async def seat_map(*, booking: Booking, event_id: str) -> Snapshot:
    """The seat map: the cached snapshot, or one shared rebuild when it is stale."""
    try:
        uuid.UUID(event_id)
    except ValueError:
        raise EventNotFound() from None
    cached = await booking.cache.snapshot(event_id)
    if cached is not None:
        return cached
    return await booking.flights.run(
        f"seats:{event_id}", lambda: _rebuild(booking, uuid.UUID(event_id))
    )


async def _rebuild(booking: Booking, event_id: uuid.UUID) -> Snapshot:
    async with booking.uow() as uow:
        session = uow.session
        # One snapshot of the database: the version read matches the seats read.
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        version = await session.scalar(select(Event.version).where(Event.id == event_id))
        if version is None:
            raise EventNotFound()
        rows = await Inventory(session).snapshot_rows(event_id)
    now = utcnow()
    stale_after = now.timestamp() + booking.settings.snapshot_cache_seconds
    seats = []
    by_status: Counter[str] = Counter()
    for seat_id, section, row, number, grade, price, stored, expires in rows:
        status = seat_status(stored, expires, now)
        if status == "held" and expires is not None:
            stale_after = min(stale_after, expires.timestamp())
        by_status[status] += 1
        seats.append(
            {"id": seat_id, "section": section, "row": row, "number": number, "grade": grade,
             "price": price, "status": status}
        )  # fmt: skip
    body = json.dumps(
        {"event_id": str(event_id), "version": int(version), "seats": seats},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    for name in ("available", "held", "sold"):
        metrics.SEATS.labels(str(event_id), name).set(by_status[name])
    return await booking.cache.store_snapshot(
        str(event_id), version=int(version), stale_after=min(stale_after, time.time() + 86400),
        body=body,
    )  # fmt: skip


async def sweep_expired(*, booking: Booking) -> int:
    """Release seats whose holds ran out, in bulk: announce them and bump the maps' versions."""
    async with booking.uow() as uow:
        session = uow.session
        expired = await Inventory(session).sweep(limit=booking.settings.sweep_batch)
        if not expired:
            return 0
        by_event = _group(expired)
        await publish(
            session,
            SCHEMA,
            *[_released(group) for group in _by_hold(expired)],
        )
        versions: dict[uuid.UUID, int] = {}
        inventory = Inventory(session)
        for event_id in sorted(by_event):
            versions[event_id] = await inventory.bump_version(event_id)
        await uow.commit()
    metrics.RELEASED.labels("expired").inc(len(expired))
    for event_id, seat_ids in by_event.items():
        await booking.announce(event_id, versions[event_id], dict.fromkeys(seat_ids, "available"))
    return len(expired)


def _group(seats: Iterable[ExpiredSeat]) -> dict[uuid.UUID, list[int]]:
    grouped: dict[uuid.UUID, list[int]] = {}
    for seat in seats:
        grouped.setdefault(seat.event_id, []).append(seat.seat_id)
    return grouped


def _by_hold(seats: Iterable[ExpiredSeat]) -> list[list[ExpiredSeat]]:
    grouped: dict[tuple[uuid.UUID, uuid.UUID | None], list[ExpiredSeat]] = {}
    for seat in seats:
        grouped.setdefault((seat.event_id, seat.hold_id), []).append(seat)
    return list(grouped.values())


def _released(group: list[ExpiredSeat]) -> SeatsReleased:
    first = group[0]
    return SeatsReleased(
        event_id=str(first.event_id),
        seat_ids=sorted(seat.seat_id for seat in group),
        reason="expired",
        user_id=str(first.user_id) if first.user_id else None,
        hold_id=str(first.hold_id) if first.hold_id else None,
        reservation_id=first.reservation_id,
    )

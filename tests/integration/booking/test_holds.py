"""Holds and reservations against PostgreSQL: limits under races, expiry, the sweeper, confirm."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from tests.api.booking.support import published_event, seat_ids
from tests.integration.booking.conftest import RecordingSink
from tiketi.contracts.catalog import EventPublished
from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.errors import DomainError
from tiketi.kernel.runtime import Runtime
from tiketi.services.booking.adapters.inventory import Inventory
from tiketi.services.booking.service import holds, inventory, reservations
from tiketi.services.booking.service.common import Booking
from tiketi.services.booking.service.reservations import ConfirmOutcome


async def _install(runtime: Runtime, event: EventPublished) -> None:
    async with UnitOfWork(runtime.db.sessions) as uow:
        await Inventory(uow.session).create_event(event)
        await uow.commit()


async def expire(runtime: Runtime, event_id: str) -> None:
    """Every hold and reservation of the event runs out now."""
    async with runtime.db.engine.begin() as conn:
        params = {"id": uuid.UUID(event_id)}
        past = "now() - interval '1 second'"
        await conn.execute(
            sa.text(f"UPDATE booking.seats SET hold_expires_at = {past} "
                    "WHERE event_id = :id AND status = 'held'"), params
        )  # fmt: skip
        await conn.execute(
            sa.text(f"UPDATE booking.holds SET expires_at = {past} WHERE event_id = :id"), params
        )
        await conn.execute(
            sa.text(f"UPDATE booking.reservations SET expires_at = {past} WHERE event_id = :id"),
            params,
        )


async def test_parallel_holds_cannot_pass_the_limit_together(
    runtime: Runtime, booking: Booking
) -> None:
    event = published_event(rows=2, per_row=10, max_tickets=2)
    await _install(runtime, event)
    user = str(uuid.uuid4())
    ids = seat_ids(event)

    async def one(i: int) -> str:
        try:
            await holds.hold_seats(
                booking=booking, user_id=user, event_id=event.event_id, seat_ids=[ids[i]]
            )
        except DomainError as exc:
            return exc.code
        return "ok"

    results = await asyncio.gather(*(one(i) for i in range(10)))
    assert results.count("ok") == 2
    assert set(results) == {"ok", "TICKET_LIMIT"}


async def test_expired_holds_are_free_and_swept(
    runtime: Runtime, booking: Booking, sink: RecordingSink
) -> None:
    event = published_event()
    await _install(runtime, event)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    ids = seat_ids(event)[:2]
    hold = await holds.hold_seats(
        booking=booking, user_id=first, event_id=event.event_id, seat_ids=ids
    )
    await expire(runtime, event.event_id)
    # Lazy expiry: free for others before any sweeper ran.
    seat_map = (await inventory.seat_map(booking=booking, event_id=event.event_id)).body
    assert b'"status":"held"' not in seat_map
    with pytest.raises(DomainError) as caught:
        await reservations.create_reservation(booking=booking, user_id=first, hold_id=hold.id)
    assert caught.value.code == "HOLD_EXPIRED" and caught.value.status == 410
    await expire(runtime, event.event_id)
    sink.calls.clear()
    swept = 0
    while (n := await inventory.sweep_expired(booking=booking)) > 0:
        swept += n
    assert swept >= 2
    assert any(call[0] == event.event_id for call in sink.calls)
    again = await holds.hold_seats(
        booking=booking, user_id=second, event_id=event.event_id, seat_ids=ids
    )
    assert [s.id for s in again.seats] == sorted(ids)


async def test_confirm_is_idempotent_and_late_confirm_retakes_free_seats(
    runtime: Runtime, booking: Booking
) -> None:
    event = published_event(max_tickets=10)
    await _install(runtime, event)
    user = str(uuid.uuid4())
    ids = seat_ids(event)
    hold = await holds.hold_seats(
        booking=booking, user_id=user, event_id=event.event_id, seat_ids=ids[:2]
    )
    made = await reservations.create_reservation(booking=booking, user_id=user, hold_id=hold.id)
    mismatch = await reservations.confirm_reservation(
        booking=booking, reservation_id=made.id, payment_key="pk1", amount=made.amount - 1
    )
    assert mismatch.outcome is ConfirmOutcome.AMOUNT_MISMATCH
    first = await reservations.confirm_reservation(
        booking=booking, reservation_id=made.id, payment_key="pk1", amount=made.amount
    )
    again = await reservations.confirm_reservation(
        booking=booking, reservation_id=made.id, payment_key="pk1", amount=made.amount
    )
    assert first.outcome is ConfirmOutcome.CONFIRMED
    assert again.outcome is ConfirmOutcome.ALREADY_CONFIRMED
    assert again.reservation.status == "confirmed"

    # Late: the reservation expired; its seats are still free -> re-taken and sold.
    late = await holds.hold_seats(
        booking=booking, user_id=user, event_id=event.event_id, seat_ids=ids[2:4]
    )
    late_res = await reservations.create_reservation(booking=booking, user_id=user, hold_id=late.id)
    await expire(runtime, event.event_id)
    assert (
        await reservations.get_reservation(
            booking=booking, user_id=user, reservation_id=late_res.id
        )
    ).status == "expired"
    result = await reservations.confirm_reservation(
        booking=booking, reservation_id=late_res.id, payment_key="pk2", amount=late_res.amount
    )
    assert result.outcome is ConfirmOutcome.CONFIRMED

    # Late and taken by someone else -> seats_taken, nothing sold to the payer.
    lost = await holds.hold_seats(
        booking=booking, user_id=user, event_id=event.event_id, seat_ids=ids[4:6]
    )
    lost_res = await reservations.create_reservation(booking=booking, user_id=user, hold_id=lost.id)
    await expire(runtime, event.event_id)
    other = str(uuid.uuid4())
    await holds.hold_seats(
        booking=booking, user_id=other, event_id=event.event_id, seat_ids=[ids[5]]
    )
    taken = await reservations.confirm_reservation(
        booking=booking, reservation_id=lost_res.id, payment_key="pk3", amount=lost_res.amount
    )
    assert taken.outcome is ConfirmOutcome.SEATS_TAKEN and not taken.confirmed
    async with runtime.db.engine.connect() as conn:
        status = await conn.scalar(
            sa.text("SELECT status FROM booking.seats WHERE event_id = :e AND seat_id = :s"),
            {"e": uuid.UUID(event.event_id), "s": ids[4]},
        )
    assert status != "sold"


async def test_cancel_confirmed_reservation_requests_refund(
    runtime: Runtime, booking: Booking
) -> None:
    event = published_event()
    await _install(runtime, event)
    user = str(uuid.uuid4())
    hold = await holds.hold_seats(
        booking=booking, user_id=user, event_id=event.event_id, seat_ids=seat_ids(event)[:1]
    )
    made = await reservations.create_reservation(booking=booking, user_id=user, hold_id=hold.id)
    await reservations.confirm_reservation(
        booking=booking, reservation_id=made.id, payment_key="pk", amount=made.amount
    )
    canceled = await reservations.cancel_reservation(
        booking=booking, user_id=user, reservation_id=made.id
    )
    assert canceled.status == "canceled"
    async with runtime.db.engine.connect() as conn:
        refund = await conn.scalar(
            sa.text("SELECT payload->>'refund' FROM booking.outbox WHERE event_type = "
                    "'ReservationCanceled' AND payload->>'reservation_id' = :id"),
            {"id": made.id},
        )  # fmt: skip
    assert refund == "true"

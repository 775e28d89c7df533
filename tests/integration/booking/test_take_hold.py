"""The one-round-trip hold (booking.take_hold): its outbox event, all-or-nothing under a race
between its check and its UPDATE, the in-flight bound, and the hold lane's connections."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import sqlalchemy as sa

from tests.api.booking.support import published_event, seat_ids
from tests.integration.booking.test_holds import _install
from tiketi.contracts.booking import SeatsHeld
from tiketi.contracts.events import decode
from tiketi.kernel.errors import DomainError
from tiketi.kernel.runtime import Runtime
from tiketi.services.booking.service import holds
from tiketi.services.booking.service.common import Booking


async def _outbox(runtime: Runtime, hold_id: str) -> list[tuple[str, str, dict[str, object]]]:
    async with runtime.db.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT event_id::text, event_type, payload FROM booking.outbox "
                "WHERE payload->>'hold_id' = :hold"
            ),
            {"hold": hold_id},
        )
        return [(r[0], r[1], r[2] if isinstance(r[2], dict) else json.loads(r[2])) for r in rows]


async def _hold_rows(runtime: Runtime, event_id: str) -> int:
    async with runtime.db.engine.connect() as conn:
        count = await conn.scalar(
            sa.text("SELECT count(*) FROM booking.holds WHERE event_id = :e"),
            {"e": uuid.UUID(event_id)},
        )
        return int(count or 0)


async def test_a_hold_publishes_seats_held_in_its_transaction(
    runtime: Runtime, booking: Booking
) -> None:
    event = published_event()
    await _install(runtime, event)
    user = str(uuid.uuid4())
    ids = seat_ids(event)[:2]
    hold = await holds.hold_seats(
        booking=booking, user_id=user, event_id=event.event_id, seat_ids=ids
    )
    [(message_id, event_type, payload)] = await _outbox(runtime, hold.id)
    assert event_type == "SeatsHeld"
    held = decode(event_type, payload)
    assert isinstance(held, SeatsHeld)
    # The row's id is the message's id (consumers dedupe on it), as kernel.outbox writes it.
    assert str(held.message_id) == message_id
    assert (held.event_id, held.seat_ids, held.user_id, held.hold_id) == (
        event.event_id, ids, user, hold.id,
    )  # fmt: skip
    assert held.expires_at == hold.expires_at
    assert held.occurred_at < held.expires_at


async def test_a_refused_hold_writes_nothing(runtime: Runtime, booking: Booking) -> None:
    event = published_event()
    await _install(runtime, event)
    ids = seat_ids(event)
    await holds.hold_seats(
        booking=booking, user_id=str(uuid.uuid4()), event_id=event.event_id, seat_ids=ids[:1]
    )
    for wanted, code, named in (
        ([ids[0], ids[1]], "SEAT_UNAVAILABLE", [ids[0]]),
        ([7, ids[1]], "VALIDATION_ERROR", [7]),
    ):
        with pytest.raises(DomainError) as caught:
            await holds.hold_seats(
                booking=booking, user_id=str(uuid.uuid4()), event_id=event.event_id,
                seat_ids=wanted,
            )  # fmt: skip
        assert (caught.value.code, caught.value.details["seat_ids"]) == (code, named)
    assert await _hold_rows(runtime, event.event_id) == 1
    async with runtime.db.engine.connect() as conn:
        held = await conn.scalar(
            sa.text("SELECT count(*) FROM booking.seats WHERE event_id = :e AND status = 'held'"),
            {"e": uuid.UUID(event.event_id)},
        )
    assert held == 1


async def _waiting_on_a_lock(runtime: Runtime) -> None:
    """Until some backend waits for a row lock (our hold's UPDATE, behind the test's)."""
    while True:
        async with runtime.db.engine.connect() as conn:
            waiting = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE '%take_hold%'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.005)


async def test_seats_taken_between_check_and_update_roll_everything_back(
    runtime: Runtime, booking: Booking
) -> None:
    event = published_event()
    await _install(runtime, event)
    first, second = seat_ids(event)[:2]
    other = uuid.uuid4()
    # Another transaction takes the second seat and keeps its row locked: our hold's check
    # still sees it free (not committed yet), takes the first seat, then waits on the second.
    async with runtime.db.engine.connect() as rival:
        await rival.execute(
            sa.text(
                "UPDATE booking.seats SET status = 'held', hold_id = :h, user_id = :u, "
                "hold_expires_at = now() + interval '5 minutes' "
                "WHERE event_id = :e AND seat_id = :s"
            ),
            {"h": uuid.uuid4(), "u": other, "e": uuid.UUID(event.event_id), "s": second},
        )
        attempt = asyncio.ensure_future(
            holds.hold_seats(
                booking=booking, user_id=str(uuid.uuid4()), event_id=event.event_id,
                seat_ids=[first, second],
            )
        )  # fmt: skip
        await asyncio.wait_for(_waiting_on_a_lock(runtime), 10)
        await rival.commit()
        with pytest.raises(DomainError) as caught:
            await attempt
    # Taken meanwhile (TK409), or the 200 ms lock wait ran out first: either way a 409 naming
    # the seat, and the first seat, which the UPDATE had taken, is free again.
    assert caught.value.code == "SEAT_UNAVAILABLE"
    assert second in caught.value.details["seat_ids"]
    async with runtime.db.engine.connect() as conn:
        status = await conn.scalar(
            sa.text("SELECT status FROM booking.seats WHERE event_id = :e AND seat_id = :s"),
            {"e": uuid.UUID(event.event_id), "s": first},
        )
    assert status == "available"
    assert await _hold_rows(runtime, event.event_id) == 0


async def test_holds_past_the_in_flight_bound_are_busy_at_once(
    runtime: Runtime, booking: Booking
) -> None:
    event = published_event(rows=3, per_row=10, max_tickets=1)
    await _install(runtime, event)
    ids = seat_ids(event)
    bounded = Booking(
        settings=booking.settings.model_copy(update={"max_holds_in_flight": 2}),
        uow=booking.uow, cache=booking.cache, lane=booking.lane, sink=booking.sink,
    )  # fmt: skip

    async def one(i: int) -> tuple[str, dict[str, str]]:
        try:
            await holds.hold_seats(
                booking=bounded, user_id=str(uuid.uuid4()), event_id=event.event_id,
                seat_ids=[ids[i]],
            )  # fmt: skip
        except DomainError as exc:
            return exc.code, dict(exc.headers)
        return "ok", {}

    results = await asyncio.gather(*(one(i) for i in range(30)))
    codes = [code for code, _ in results]
    # Two run; everyone else is told at once to come back (nobody waits for a connection).
    assert codes.count("ok") == 2 and codes.count("BUSY") == 28
    assert all(headers == {"Retry-After": "1"} for code, headers in results if code == "BUSY")
    assert bounded.holds_in_flight == 0
    assert await _hold_rows(runtime, event.event_id) == 2


async def test_a_broken_lane_connection_is_a_503_and_is_replaced(
    runtime: Runtime, booking: Booking
) -> None:
    event = published_event()
    await _install(runtime, event)
    ids = seat_ids(event)
    await holds.hold_seats(
        booking=booking, user_id=str(uuid.uuid4()), event_id=event.event_id, seat_ids=ids[:1]
    )
    # PostgreSQL drops the idle connection the lane kept (a restart, a failover).
    async with booking.lane.connection() as kept:
        pid = kept.get_server_pid()
    async with runtime.db.engine.connect() as conn:
        await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with pytest.raises(DomainError) as caught:
        await holds.hold_seats(
            booking=booking, user_id=str(uuid.uuid4()), event_id=event.event_id,
            seat_ids=ids[1:2],
        )  # fmt: skip
    assert (caught.value.status, caught.value.code) == (503, "DEPENDENCY_UNAVAILABLE")
    # The broken connection was thrown away: the next hold gets a fresh one.
    hold = await holds.hold_seats(
        booking=booking, user_id=str(uuid.uuid4()), event_id=event.event_id, seat_ids=ids[1:2]
    )
    assert [seat.id for seat in hold.seats] == ids[1:2]

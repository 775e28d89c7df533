"""Holding seats (explicit or best available) and letting them go."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from tiketi.contracts.admission import AdmissionInvalid, verify_admission_token
from tiketi.contracts.booking import SeatsReleased
from tiketi.kernel.errors import DomainError
from tiketi.kernel.outbox import publish
from tiketi.services.booking.adapters import metrics
from tiketi.services.booking.adapters.inventory import Inventory
from tiketi.services.booking.adapters.orm import SCHEMA, Event, Hold
from tiketi.services.booking.domain.errors import (
    AdmissionRequired,
    EventNotFound,
    HoldNotFound,
    HoldReserved,
    SeatUnavailable,
    TicketLimit,
    UnknownSeats,
)
from tiketi.services.booking.domain.models import (
    HoldStatus,
    HoldView,
    SaleWindow,
    SeatView,
    validate_seat_ids,
)
from tiketi.services.booking.domain.seating import best_available, rows_to_read
from tiketi.services.booking.service.common import Booking, utcnow

LOCK_TIMEOUT_MS = 200
_LOST_RACE_STATES = {"40P01", "55P03"}


class _LostRace(Exception):
    """Best-available chose seats another fan took first; choose again."""


def _parse_uuid(value: str, error: DomainError) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise error from None


async def hold_seats(
    *,
    booking: Booking,
    user_id: str,
    event_id: str,
    seat_ids: list[int] | None = None,
    grade: str | None = None,
    quantity: int | None = None,
    admission_token: str | None = None,
) -> HoldView:
    """Hold the named seats, or `quantity` best seats of `grade`, all or none, for a few minutes."""
    mode = "seats" if seat_ids is not None else "best_available"
    metrics.HOLD_ATTEMPTS.labels(mode).inc()
    started = time.perf_counter()
    try:
        hold = await _hold(
            booking=booking,
            user_id=_parse_uuid(user_id, HoldNotFound()),
            event_id=_parse_uuid(event_id, EventNotFound()),
            seat_ids=seat_ids,
            grade=grade,
            quantity=quantity,
            admission_token=admission_token,
        )
    except DomainError as exc:
        metrics.HOLD_FAILED.labels(exc.code).inc()
        _observe(booking, started, failed=exc.status >= 500)
        raise
    except BaseException:
        _observe(booking, started, failed=True)
        raise
    _observe(booking, started, failed=False)
    metrics.HOLD_SUCCEEDED.labels(mode).inc()
    return hold


def _observe(booking: Booking, started: float, *, failed: bool) -> None:
    """Latency for /metrics and the waiting room's control loop. A refusal because of the fan
    (seat taken, ticket limit, no admission) is no failure of booking's; busy or broken is."""
    finished = time.perf_counter()
    metrics.HOLD_LATENCY.observe(finished - started)
    booking.pressure.record(
        at=time.monotonic(), latency_ms=(finished - started) * 1000, failed=failed
    )


async def _hold(
    *,
    booking: Booking,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    seat_ids: list[int] | None,
    grade: str | None,
    quantity: int | None,
    admission_token: str | None,
) -> HoldView:
    if seat_ids is not None:
        wanted = validate_seat_ids(seat_ids)
        return await _attempt(
            booking, user_id, event_id, admission_token, wanted=wanted, grade=None, quantity=0
        )
    assert grade is not None and quantity is not None
    attempts = booking.settings.best_available_attempts
    for attempt in range(attempts):
        try:
            return await _attempt(
                booking, user_id, event_id, admission_token, wanted=None, grade=grade,
                quantity=quantity,
            )  # fmt: skip
        except _LostRace:
            if attempt == attempts - 1:
                break
    raise SeatUnavailable(
        "Other fans took the best seats first; try again.",
        details={"grade": grade, "quantity": quantity, "seat_ids": []},
    )


async def _attempt(
    booking: Booking,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    admission_token: str | None,
    *,
    wanted: list[int] | None,
    grade: str | None,
    quantity: int,
) -> HoldView:
    hold_id = uuid.uuid4()
    async with booking.uow() as uow:
        session = uow.session
        event = await session.get(Event, event_id)
        if event is None:
            raise EventNotFound()
        now = utcnow()
        SaleWindow(event.status, event.sale_opens_at, event.sale_closes_at).check(now)
        await _check_admission(booking, event, user_id, admission_token)
        inventory = Inventory(session)
        count = len(wanted) if wanted is not None else quantity
        if count > event.max_tickets_per_user:
            raise TicketLimit(details={"max_tickets_per_user": event.max_tickets_per_user})
        # One user's holds on one event run one at a time, so two parallel requests cannot
        # both pass the limit check below.
        await inventory.lock_user(user_id=user_id, event_id=event_id)
        live = await inventory.live_seats_of(user_id=user_id, event_id=event_id)
        if live + count > event.max_tickets_per_user:
            raise TicketLimit(
                details={"max_tickets_per_user": event.max_tickets_per_user, "current": live}
            )
        if wanted is None:
            assert grade is not None
            wanted = await _choose(inventory, event_id, grade, quantity)
        expires_at = now + timedelta(seconds=booking.settings.hold_seconds)
        seats = await _take(inventory, event_id, wanted, hold_id, user_id, expires_at, grade)
        amount = sum(seat.price for seat in seats)
        session.add(
            Hold(
                id=hold_id,
                event_id=event_id,
                user_id=user_id,
                seat_ids=[seat.id for seat in seats],
                amount=amount,
                status=HoldStatus.ACTIVE.value,
                expires_at=expires_at,
            )
        )
        await session.flush()
        version = await inventory.bump_version(event_id)
        await uow.commit()
    await booking.announce(event_id, version, {seat.id: "held" for seat in seats})
    return HoldView(str(hold_id), str(event_id), seats, amount, expires_at)


async def _check_admission(
    booking: Booking, event: Event, user_id: uuid.UUID, token: str | None
) -> None:
    if not event.queue_enabled:
        return
    try:
        admission = verify_admission_token(
            token,
            key=booking.settings.queue_key.get_secret_value(),
            user_id=str(user_id),
            event_id=str(event.id),
        )
    except AdmissionInvalid as exc:
        raise AdmissionRequired(details={"reason": str(exc)}) from None
    # A signature cannot be taken back: the waiting room's ledger says whether this admission
    # is still the fan's current one (not given back by leaving, buying or an expired hold).
    if booking.admissions is not None and not await booking.admissions.is_current(
        event_id=str(event.id), user_id=str(user_id), jti=admission.jti
    ):
        raise AdmissionRequired(details={"reason": "the admission was given back or replaced"})


async def _choose(
    inventory: Inventory, event_id: uuid.UUID, grade: str, quantity: int
) -> list[int]:
    # Two small reads instead of the whole grade: the best runs of free seats, then the seats
    # of the rows that decide (the same choice as over every seat, see domain/seating.py).
    runs, available = await inventory.best_runs(event_id=event_id, grade=grade, quantity=quantity)
    if not runs and not await inventory.has_grade(event_id=event_id, grade=grade):
        raise UnknownSeats("This event has no seats of that grade.", details={"grade": grade})
    chosen = None
    if available >= quantity:
        rows = rows_to_read(runs, quantity)
        places = await inventory.row_places(event_id=event_id, grade=grade, rows=rows)
        chosen = best_available(places, quantity)
    if chosen is None:
        raise SeatUnavailable(
            "Not enough seats of this grade are available.",
            details={
                "grade": grade,
                "quantity": quantity,
                "available": available,
                "seat_ids": [],
            },
        )
    return sorted(chosen)


async def _take(
    inventory: Inventory,
    event_id: uuid.UUID,
    wanted: list[int],
    hold_id: uuid.UUID,
    user_id: uuid.UUID,
    expires_at: object,
    grade: str | None,
) -> list[SeatView]:
    # Rule 4: a seat another fan is taking right now is a lost race, not a wait in line
    # (200 fans choosing the same best seat would otherwise queue on one row lock).
    await inventory.set_lock_timeout(LOCK_TIMEOUT_MS)
    try:
        seats = await inventory.take(
            event_id=event_id,
            seat_ids=wanted,
            hold_id=hold_id,
            user_id=user_id,
            expires_at=expires_at,  # type: ignore[arg-type]
        )
    except DBAPIError as exc:
        # Deadlock or lock timeout: the transaction is spoilt; nothing was held.
        if getattr(exc.orig, "sqlstate", None) not in _LOST_RACE_STATES:
            raise
        if grade is not None:
            raise _LostRace() from None
        raise SeatUnavailable(details={"seat_ids": wanted}) from None
    if len(seats) == len(wanted):
        return seats
    # The transaction rolls back when the error leaves the unit of work: nothing is held.
    if grade is not None:
        raise _LostRace()
    known = await inventory.known(event_id=event_id, seat_ids=wanted)
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise UnknownSeats(details={"seat_ids": unknown})
    taken = {seat.id for seat in seats}
    raise SeatUnavailable(details={"seat_ids": [s for s in wanted if s not in taken]})


async def release_hold(*, booking: Booking, user_id: str, hold_id: str) -> None:
    """Let go of one's own hold: its seats are free at once. Releasing twice is harmless."""
    uid = _parse_uuid(user_id, HoldNotFound())
    hid = _parse_uuid(hold_id, HoldNotFound())
    async with booking.uow() as uow:
        session = uow.session
        hold = await session.scalar(
            select(Hold).where(Hold.id == hid, Hold.user_id == uid).with_for_update()
        )
        if hold is None:
            raise HoldNotFound()
        if hold.status == HoldStatus.RESERVED:
            raise HoldReserved()
        if hold.status == HoldStatus.RELEASED:
            return
        hold.status = HoldStatus.RELEASED.value
        inventory = Inventory(session)
        freed = await inventory.release_hold(event_id=hold.event_id, hold_id=hid)
        version = 0
        if freed:
            await publish(
                session,
                SCHEMA,
                SeatsReleased(
                    event_id=str(hold.event_id),
                    seat_ids=freed,
                    reason="released",
                    user_id=str(uid),
                    hold_id=str(hid),
                ),
            )
            version = await inventory.bump_version(hold.event_id)
        await uow.commit()
    if freed:
        metrics.RELEASED.labels("released").inc(len(freed))
        await booking.announce(hold.event_id, version, dict.fromkeys(freed, "available"))

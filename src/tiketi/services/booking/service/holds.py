"""Holding seats (explicit or best available) and letting them go."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

from sqlalchemy import select

from tiketi.contracts.admission import AdmissionInvalid, verify_admission_token
from tiketi.contracts.booking import SeatsReleased
from tiketi.kernel.errors import Busy, DomainError
from tiketi.kernel.outbox import publish
from tiketi.services.booking.adapters import metrics
from tiketi.services.booking.adapters.inventory import VERSION_LOCK_TIMEOUT_MS, Inventory
from tiketi.services.booking.adapters.orm import SCHEMA, Hold
from tiketi.services.booking.adapters.seats import HoldRules, SeatStatements, Taken
from tiketi.services.booking.domain.claims import SeatClaims
from tiketi.services.booking.domain.errors import (
    EventNotFound,
    HoldNotFound,
    HoldReserved,
    SeatUnavailable,
    UnknownSeats,
)
from tiketi.services.booking.domain.models import (
    HoldStatus,
    HoldView,
    hold_refusal,
    validate_seat_ids,
)
from tiketi.services.booking.domain.seating import FreeRun, best_available, rows_to_read
from tiketi.services.booking.service.common import Booking

LOCK_TIMEOUT_MS = 200
# Reads of a best-available choice that skips seats other holds of this process are taking.
_AVOID_ROUNDS = 3
# Best-available chose seats another fan took first: choose again.
_LOST_RACE = frozenset({"unavailable", "taken", "lost_race"})


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
        hold = await _bounded(
            booking,
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


async def _bounded(
    booking: Booking,
    *,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    seat_ids: list[int] | None,
    grade: str | None,
    quantity: int | None,
    admission_token: str | None,
) -> HoldView:
    # Past the bound, waiting would only grow the queue (and the latency of every hold in it)
    # until the pool timed out: a quick 503 lets the client, and the waiting room, back off.
    if booking.holds_in_flight >= booking.settings.max_holds_in_flight:
        raise Busy("Too many holds at once; try again in a moment.", headers={"Retry-After": "1"})
    booking.holds_in_flight += 1
    try:
        wanted = validate_seat_ids(seat_ids) if seat_ids is not None else None
        admission = await _admission_refusal(booking, user_id, event_id, admission_token)
        hold_id = uuid.uuid4()
        async with booking.lane.connection() as connection:
            statements = SeatStatements(connection)
            hold = _Hold(booking, statements, user_id, event_id, hold_id, admission)
            if wanted is not None:
                taken = await hold.take(wanted, quantity=len(wanted))
            else:
                assert grade is not None and quantity is not None
                taken = await hold.best(grade, quantity)
    finally:
        booking.holds_in_flight -= 1
    await booking.announce(event_id, taken.version, {seat.id: "held" for seat in taken.seats})
    assert taken.expires_at is not None
    amount = sum(seat.price for seat in taken.seats)
    return HoldView(str(hold_id), str(event_id), taken.seats, amount, taken.expires_at)


async def _admission_refusal(
    booking: Booking, user_id: uuid.UUID, event_id: uuid.UUID, token: str | None
) -> str | None:
    """Why the fan's admission does not count (None: it does); the inventory knows whether the
    event's waiting room is on and refuses only then."""
    try:
        admission = verify_admission_token(
            token,
            key=booking.settings.queue_key.get_secret_value(),
            user_id=str(user_id),
            event_id=str(event_id),
        )
    except AdmissionInvalid as exc:
        return str(exc)
    # A signature cannot be taken back: the waiting room's ledger says whether this admission
    # is still the fan's current one (not given back by leaving, buying or an expired hold).
    if booking.admissions is not None and not await booking.admissions.is_current(
        event_id=str(event_id), user_id=str(user_id), jti=admission.jti
    ):
        return "the admission was given back or replaced"
    return None


class _Hold:
    """One hold request's attempts on one connection."""

    def __init__(
        self,
        booking: Booking,
        statements: SeatStatements,
        user_id: uuid.UUID,
        event_id: uuid.UUID,
        hold_id: uuid.UUID,
        admission: str | None,
    ) -> None:
        self.booking = booking
        self.statements = statements
        self.user_id = user_id
        self.event_id = event_id
        self.hold_id = hold_id
        self.admission = admission

    async def attempt(self, wanted: list[int], *, quantity: int) -> Taken:
        """booking.take_hold: every rule, the seats, the hold row, the event: one round trip.
        The seats are claimed meanwhile, so concurrent best-available choices go elsewhere."""
        settings = self.booking.settings
        with self.booking.claims.claim(self.event_id, wanted):
            return await self.statements.take_hold(
                event_id=self.event_id, user_id=self.user_id, hold_id=self.hold_id,
                seat_ids=wanted, quantity=quantity, admitted=self.admission is None,
                rules=HoldRules(settings.hold_seconds, LOCK_TIMEOUT_MS, VERSION_LOCK_TIMEOUT_MS),
            )  # fmt: skip

    def refused(self, taken: Taken, wanted: list[int]) -> DomainError:
        """The error for a refusal of the inventory's."""
        return hold_refusal(taken.outcome, taken.info, wanted=wanted, admission=self.admission)

    async def take(self, wanted: list[int], *, quantity: int) -> Taken:
        """Hold exactly these seats, or raise why not."""
        taken = await self.attempt(wanted, quantity=quantity)
        if taken.outcome != "held":
            raise self.refused(taken, wanted)
        return taken

    async def best(self, grade: str, quantity: int) -> Taken:
        """Hold the best `quantity` seats of `grade`, choosing again after a lost race."""
        for _ in range(self.booking.settings.best_available_attempts):
            try:
                wanted = await _choose(
                    self.statements, self.booking.claims, self.event_id, grade, quantity
                )
            except DomainError:
                # No seats to offer; but the event's own refusal (unknown event, sale closed,
                # limit, admission) comes first, as it does for named seats.
                checked = await self.attempt([], quantity=quantity)
                if checked.outcome != "allowed":
                    raise self.refused(checked, []) from None
                raise
            taken = await self.attempt(wanted, quantity=quantity)
            if taken.outcome == "held":
                return taken
            if taken.outcome not in _LOST_RACE:
                raise self.refused(taken, wanted)
        raise SeatUnavailable(
            "Other fans took the best seats first; try again.",
            details={"grade": grade, "quantity": quantity, "seat_ids": []},
        )


async def _choose(
    statements: SeatStatements,
    claims: SeatClaims,
    event_id: uuid.UUID,
    grade: str,
    quantity: int,
) -> list[int]:
    # Two small reads instead of the whole grade: the best runs of free seats, then the seats
    # of the rows that decide (the same choice as over every seat, see domain/seating.py).
    # Seats other holds of this process are taking right now count as taken (domain/claims.py);
    # when they fill the rows read meanwhile, read again; when nothing else is left, race.
    read: tuple[list[FreeRun], int] | None = None
    for _ in range(_AVOID_ROUNDS):
        # Seats given back from now on may be ones these reads still see free (a hold that
        # commits meanwhile): they count as taken too.
        since = claims.now()
        skip = claims.of(event_id)
        runs, available = await statements.best_runs(
            event_id=event_id, grade=grade, quantity=quantity, skip=sorted(skip)
        )
        if available < quantity:
            read = None if skip else (runs, available)
            break
        rows = rows_to_read(runs, quantity)
        places = await statements.row_places(event_id=event_id, grade=grade, rows=rows)
        # The claims as they are now, after the reads (no await from here to the claim).
        claimed = claims.of(event_id, since=since)
        unclaimed = [replace(p, free=False) if p.seat_id in claimed else p for p in places]
        chosen = best_available(unclaimed, quantity)
        if chosen is not None:
            return sorted(chosen)
    return await _race(statements, event_id, grade, quantity, read)


async def _race(
    statements: SeatStatements,
    event_id: uuid.UUID,
    grade: str,
    quantity: int,
    read: tuple[list[FreeRun], int] | None,
) -> list[int]:
    """The best seats whoever is taking them (the database decides), or why there are none."""
    runs, available = read or await statements.best_runs(
        event_id=event_id, grade=grade, quantity=quantity
    )
    if not runs and not await statements.has_grade(event_id=event_id, grade=grade):
        raise UnknownSeats("This event has no seats of that grade.", details={"grade": grade})
    chosen = None
    if available >= quantity:
        rows = rows_to_read(runs, quantity)
        places = await statements.row_places(event_id=event_id, grade=grade, rows=rows)
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

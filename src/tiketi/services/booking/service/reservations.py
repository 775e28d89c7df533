"""Reservations: made from a hold, confirmed by a payment, canceled by the fan or the event."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import inspect, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.booking import (
    IssuedTicket,
    ReservationCanceled,
    ReservationConfirmed,
    ReservationCreated,
    SeatsReleased,
    TicketsIssued,
)
from tiketi.kernel.errors import BadRequest
from tiketi.kernel.outbox import publish
from tiketi.services.booking.adapters.inventory import Inventory
from tiketi.services.booking.adapters.orm import SCHEMA, Event, Hold, Reservation
from tiketi.services.booking.adapters.tickets import Issued, Tickets
from tiketi.services.booking.domain.errors import (
    EventCanceled,
    EventStarted,
    HoldExpired,
    HoldNotFound,
    ReservationNotFound,
)
from tiketi.services.booking.domain.models import (
    EventStatus,
    HoldStatus,
    ReservationStatus,
    ReservationView,
    SeatView,
    reservation_status,
)
from tiketi.services.booking.domain.orders import new_order_id
from tiketi.services.booking.service.common import Booking, utcnow


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ReservationNotFound() from None


def _view(reservation: Reservation, seats: list[SeatView], now: datetime) -> ReservationView:
    return ReservationView(
        id=reservation.id,
        event_id=str(reservation.event_id),
        hold_id=str(reservation.hold_id),
        status=reservation_status(reservation.status, reservation.expires_at, now),
        seats=seats,
        amount=reservation.amount,
        currency=reservation.currency,
        expires_at=reservation.expires_at,
        created_at=reservation.created_at,
        confirmed_at=reservation.confirmed_at,
        canceled_at=reservation.canceled_at,
    )


async def _seats_of(session: AsyncSession, reservation: Reservation) -> list[SeatView]:
    return await Inventory(session).seats(
        event_id=reservation.event_id, seat_ids=list(reservation.seat_ids)
    )


async def create_reservation(*, booking: Booking, user_id: str, hold_id: str) -> ReservationView:
    """Turn one's hold into a reservation awaiting payment; the same hold gives the same one."""
    uid = _uuid(user_id)
    try:
        hid = uuid.UUID(hold_id)
    except ValueError:
        raise HoldNotFound() from None
    async with booking.uow() as uow:
        session = uow.session
        hold = await session.scalar(
            select(Hold).where(Hold.id == hid, Hold.user_id == uid).with_for_update()
        )
        if hold is None:
            raise HoldNotFound()
        now = utcnow()
        if hold.status == HoldStatus.RESERVED:
            existing = await session.scalar(select(Reservation).where(Reservation.hold_id == hid))
            assert existing is not None
            return _view(existing, await _seats_of(session, existing), now)
        if hold.status == HoldStatus.RELEASED or hold.expires_at <= now:
            raise HoldExpired()
        event = await session.get(Event, hold.event_id)
        if event is None or event.status == EventStatus.CANCELED:
            raise EventCanceled()
        reservation_id = new_order_id()
        seats = await Inventory(session).attach_reservation(
            event_id=hold.event_id, hold_id=hid, reservation_id=reservation_id
        )
        if len(seats) != len(hold.seat_ids):
            raise HoldExpired()
        amount = sum(seat.price for seat in seats)
        reservation = Reservation(
            id=reservation_id,
            hold_id=hid,
            event_id=hold.event_id,
            user_id=uid,
            seat_ids=[seat.id for seat in seats],
            amount=amount,
            currency=event.currency,
            status=ReservationStatus.PENDING_PAYMENT.value,
            expires_at=hold.expires_at,
        )
        session.add(reservation)
        hold.status = HoldStatus.RESERVED.value
        await publish(
            session,
            SCHEMA,
            ReservationCreated(
                reservation_id=reservation_id,
                event_id=str(hold.event_id),
                user_id=str(uid),
                seat_ids=reservation.seat_ids,
                amount=amount,
                expires_at=hold.expires_at,
            ),
        )
        await session.flush()
        # The INSERT's RETURNING brought created_at back (eager_defaults, PostgreSQL); read
        # it only where it did not.
        if "created_at" in inspect(reservation).unloaded:
            await session.refresh(reservation, ["created_at"])
        await uow.commit()
    return _view(reservation, seats, now)


async def get_reservation(
    *, booking: Booking, user_id: str, reservation_id: str
) -> ReservationView:
    """One of the caller's reservations."""
    async with booking.uow() as uow:
        reservation = await uow.session.get(Reservation, reservation_id)
        if reservation is None or reservation.user_id != _uuid(user_id):
            raise ReservationNotFound()
        return _view(reservation, await _seats_of(uow.session, reservation), utcnow())


def _encode_cursor(created_at: datetime, reservation_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), reservation_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, rid = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created), str(rid)
    except (ValueError, TypeError) as exc:
        raise BadRequest("The cursor is not valid.", code="INVALID_CURSOR") from exc


async def list_reservations(
    *, booking: Booking, user_id: str, limit: int, cursor: str | None
) -> tuple[list[ReservationView], str | None]:
    """The caller's reservations, newest first, keyset-paginated."""
    uid = _uuid(user_id)
    query = (
        select(Reservation)
        .where(Reservation.user_id == uid)
        .order_by(Reservation.created_at.desc(), Reservation.id.desc())
        .limit(limit + 1)
    )
    if cursor is not None:
        created_at, rid = _decode_cursor(cursor)
        query = query.where(tuple_(Reservation.created_at, Reservation.id) < (created_at, rid))
    async with booking.uow() as uow:
        rows = list((await uow.session.scalars(query)).all())
        page = rows[:limit]
        now = utcnow()
        views = [_view(r, await _seats_of(uow.session, r), now) for r in page]
    next_cursor = _encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return views, next_cursor


async def cancel_reservation(
    *, booking: Booking, user_id: str, reservation_id: str
) -> ReservationView:
    """The fan cancels before the event starts: seats go back on sale; a paid one is refunded."""
    async with booking.uow() as uow:
        session = uow.session
        reservation = await session.scalar(
            select(Reservation).where(Reservation.id == reservation_id).with_for_update()
        )
        if reservation is None or reservation.user_id != _uuid(user_id):
            raise ReservationNotFound()
        now = utcnow()
        if reservation.status in (ReservationStatus.CANCELED, ReservationStatus.REFUNDED):
            return _view(reservation, await _seats_of(session, reservation), now)
        event = await session.get(Event, reservation.event_id)
        if event is not None and event.starts_at <= now:
            raise EventStarted()
        freed, version = await cancel_in_session(session, reservation, reason="customer", now=now)
        seats = await _seats_of(session, reservation)
        await uow.commit()
    if freed:
        await booking.announce(reservation.event_id, version, dict.fromkeys(freed, "available"))
    return _view(reservation, seats, now)


async def cancel_in_session(
    session: AsyncSession,
    reservation: Reservation,
    *,
    reason: str,
    now: datetime,
    bump: bool = True,
    status: ReservationStatus = ReservationStatus.CANCELED,
    refund: bool | None = None,
) -> tuple[list[int], int]:
    """Cancel a live reservation in the caller's transaction: freed seat ids, new version.
    A paid one asks payment for a refund unless `refund` says otherwise (money already back)."""
    if refund is None:
        refund = reservation.status == ReservationStatus.CONFIRMED
    inventory = Inventory(session)
    freed = await inventory.release_reservation(
        event_id=reservation.event_id, reservation_id=reservation.id, hold_id=reservation.hold_id
    )
    reservation.status = status.value
    reservation.canceled_at = now
    await Tickets(session).void(reservation_id=reservation.id, now=now)
    reservation.cancel_reason = reason
    events: list[ReservationCanceled | SeatsReleased] = [
        ReservationCanceled(
            reservation_id=reservation.id,
            event_id=str(reservation.event_id),
            user_id=str(reservation.user_id),
            seat_ids=list(reservation.seat_ids),
            amount=reservation.amount,
            refund=refund,
            reason=reason,
        )
    ]
    if freed:
        events.append(
            SeatsReleased(
                event_id=str(reservation.event_id),
                seat_ids=freed,
                reason="reservation_canceled",
                user_id=str(reservation.user_id),
                reservation_id=reservation.id,
            )
        )
    await publish(session, SCHEMA, *events)
    version = await inventory.bump_version(reservation.event_id) if freed and bump else 0
    return freed, version


async def apply_payment_refunded(
    session: AsyncSession, *, reservation_id: str, payment_key: str
) -> bool:
    """Payments refunded this reservation's payment: a canceled one, or a lapsed unpaid one
    (a late payment whose seats were gone), now reads `refunded`. A confirmed one keeps its
    status: the refund was of another payment. True when the status changed."""
    reservation = await session.scalar(
        select(Reservation).where(Reservation.id == reservation_id).with_for_update()
    )
    if reservation is None or reservation.payment_key not in (None, payment_key):
        return False
    now = utcnow()
    lapsed = (
        reservation.status == ReservationStatus.PENDING_PAYMENT and reservation.expires_at <= now
    )
    if reservation.status != ReservationStatus.CANCELED and not lapsed:
        return False
    reservation.status = ReservationStatus.REFUNDED.value
    reservation.canceled_at = reservation.canceled_at or now
    reservation.cancel_reason = reservation.cancel_reason or "payment_refunded"
    return True


class ConfirmOutcome(StrEnum):
    """What became of a payment's reservation; anything but confirmed means refund it."""

    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    SEATS_TAKEN = "seats_taken"
    AMOUNT_MISMATCH = "amount_mismatch"
    NOT_CONFIRMABLE = "not_confirmable"


@dataclass(frozen=True)
class ConfirmResult:
    """The outcome, and the reservation as it now is."""

    outcome: ConfirmOutcome
    reservation: ReservationView

    @property
    def confirmed(self) -> bool:
        """True when the seats are the payer's."""
        return self.outcome in (ConfirmOutcome.CONFIRMED, ConfirmOutcome.ALREADY_CONFIRMED)


async def confirm_reservation(
    *, booking: Booking, reservation_id: str, payment_key: str, amount: int
) -> ConfirmResult:
    """Seats → sold for a paid reservation; idempotent; a late payment re-takes free seats."""
    async with booking.uow() as uow:
        session = uow.session
        reservation = await session.scalar(
            select(Reservation).where(Reservation.id == reservation_id).with_for_update()
        )
        if reservation is None:
            raise ReservationNotFound()
        now = utcnow()
        outcome, confirmed = await _confirm(session, reservation, payment_key, amount, now)
        seats = await _seats_of(session, reservation)
        version = 0
        if confirmed is not None:
            # Only a first confirmation issues tickets: a repeated one creates none.
            issued = await Tickets(session).issue(
                reservation_id=reservation.id,
                event_id=reservation.event_id,
                user_id=reservation.user_id,
                seat_ids=list(reservation.seat_ids),
                key=booking.settings.ticket_key.get_secret_value().encode(),
            )
            # Both events in one outbox insert, ReservationConfirmed first (as ever).
            await publish(session, SCHEMA, confirmed, _tickets_issued(reservation, issued, seats))
            version = await Inventory(session).bump_version(reservation.event_id)
        await uow.commit()
    if outcome is ConfirmOutcome.CONFIRMED:
        await booking.announce(
            reservation.event_id, version, dict.fromkeys(reservation.seat_ids, "sold")
        )
    return ConfirmResult(outcome, _view(reservation, seats, now))


def _tickets_issued(
    reservation: Reservation, issued: list[Issued], seats: list[SeatView]
) -> TicketsIssued:
    """TicketsIssued for the tickets just issued (notify mails them with their QR codes),
    from what the confirmation already has in hand: the issued rows and their seats, in
    seat order — what reading the reservation's valid tickets back would give."""
    by_id = {seat.id: seat for seat in seats}
    return TicketsIssued(
        reservation_id=reservation.id,
        event_id=str(reservation.event_id),
        user_id=str(reservation.user_id),
        tickets=[
            IssuedTicket(
                ticket_id=str(ticket.id),
                seat_id=seat.id,
                section=seat.section,
                row=seat.row,
                number=seat.number,
                grade=seat.grade,
                qr_token=ticket.qr_token,
            )
            for ticket in sorted(issued, key=lambda ticket: ticket.seat_id)
            if (seat := by_id.get(ticket.seat_id)) is not None
        ],
    )


async def _confirm(
    session: AsyncSession, reservation: Reservation, payment_key: str, amount: int, now: datetime
) -> tuple[ConfirmOutcome, ReservationConfirmed | None]:
    """The outcome; for a first confirmation, also its event, for the caller to publish."""
    if reservation.status == ReservationStatus.CONFIRMED:
        if reservation.payment_key == payment_key:
            return ConfirmOutcome.ALREADY_CONFIRMED, None
        return ConfirmOutcome.NOT_CONFIRMABLE, None
    if reservation.status not in (ReservationStatus.PENDING_PAYMENT, ReservationStatus.EXPIRED):
        return ConfirmOutcome.NOT_CONFIRMABLE, None
    if amount != reservation.amount:
        return ConfirmOutcome.AMOUNT_MISMATCH, None
    event = await session.get(Event, reservation.event_id)
    if event is None or event.status == EventStatus.CANCELED:
        return ConfirmOutcome.NOT_CONFIRMABLE, None
    wanted = sorted(reservation.seat_ids)
    # A savepoint: when another fan has some of the seats now, none are sold, and the
    # reservation row stays locked until the caller's transaction ends.
    savepoint = await session.begin_nested()
    sold = await Inventory(session).sell(
        event_id=reservation.event_id,
        seat_ids=wanted,
        hold_id=reservation.hold_id,
        reservation_id=reservation.id,
        user_id=reservation.user_id,
    )
    if sold != wanted:
        await savepoint.rollback()
        return ConfirmOutcome.SEATS_TAKEN, None
    await savepoint.commit()
    reservation.status = ReservationStatus.CONFIRMED.value
    reservation.payment_key = payment_key
    reservation.confirmed_at = now
    confirmed = ReservationConfirmed(
        reservation_id=reservation.id,
        event_id=str(reservation.event_id),
        user_id=str(reservation.user_id),
        seat_ids=wanted,
        amount=reservation.amount,
        payment_key=payment_key,
    )
    return ConfirmOutcome.CONFIRMED, confirmed

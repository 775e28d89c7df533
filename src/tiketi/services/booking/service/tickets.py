"""Tickets: listed by their holder, shown as a QR code, checked in once at the door."""

from __future__ import annotations

import uuid

from tiketi.services.booking.adapters.orm import Reservation
from tiketi.services.booking.adapters.tickets import Tickets, render_png
from tiketi.services.booking.domain import qr
from tiketi.services.booking.domain.errors import ReservationNotFound
from tiketi.services.booking.domain.models import ReservationStatus, reservation_status
from tiketi.services.booking.domain.tickets import (
    AlreadyCheckedIn,
    NotConfirmed,
    TicketNotFound,
    TicketView,
    TicketVoid,
)
from tiketi.services.booking.service.common import Booking, utcnow


def _ticket_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise TicketNotFound() from None


def _visible(owner: str, user_id: str, is_admin: bool) -> bool:
    return is_admin or owner == user_id


async def list_tickets(
    *, booking: Booking, user_id: str, is_admin: bool, reservation_id: str
) -> list[TicketView]:
    """A confirmed reservation's tickets (its owner or an admin); 409 NOT_CONFIRMED before."""
    async with booking.uow() as uow:
        reservation = await uow.session.get(Reservation, reservation_id)
        if reservation is None or not _visible(str(reservation.user_id), user_id, is_admin):
            raise ReservationNotFound()
        status = reservation_status(reservation.status, reservation.expires_at, utcnow())
        if status is not ReservationStatus.CONFIRMED:
            raise NotConfirmed(details={"status": status.value})
        return await Tickets(uow.session).of_reservation(reservation_id)


async def ticket_png(*, booking: Booking, user_id: str, is_admin: bool, ticket_id: str) -> bytes:
    """The ticket's QR code as a PNG (its owner or an admin); a void ticket has none."""
    async with booking.uow() as uow:
        ticket = await Tickets(uow.session).get(_ticket_id(ticket_id))
    if ticket is None or not _visible(ticket.user_id, user_id, is_admin):
        raise TicketNotFound()
    if ticket.voided_at is not None:
        raise TicketVoid()
    return render_png(ticket.qr_token)


async def check_in(*, booking: Booking, staff_id: str, qr_token: str) -> TicketView:
    """Admit a ticket's holder once; a forged or unknown token is TICKET_NOT_FOUND."""
    ticket_id = qr.verify(qr_token, booking.settings.ticket_key.get_secret_value().encode())
    if ticket_id is None:
        raise TicketNotFound()
    async with booking.uow() as uow:
        tickets = Tickets(uow.session)
        admitted = await tickets.check_in(ticket_id=ticket_id, staff_id=uuid.UUID(staff_id))
        # Read committed: a losing scan's UPDATE waited for the winner's commit, and this
        # statement's fresh snapshot sees when it checked in.
        ticket = await tickets.get(ticket_id)
        if admitted:
            await uow.commit()
    if ticket is None:
        raise TicketNotFound()
    if admitted:
        return ticket
    if ticket.voided_at is not None:
        raise TicketVoid()
    assert ticket.checked_in_at is not None
    raise AlreadyCheckedIn(details={"checked_in_at": ticket.checked_in_at.isoformat()})

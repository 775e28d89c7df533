"""Tickets as their holders and the door see them, and the check-in failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tiketi.kernel.errors import Conflict, NotFound


@dataclass(frozen=True)
class TicketSeat:
    """The seat a ticket admits to."""

    id: int
    section: str
    row: str
    number: str
    grade: str


@dataclass(frozen=True)
class TicketView:
    """One ticket: a sold seat of a confirmed reservation, with its QR token."""

    id: str
    reservation_id: str
    event_id: str
    user_id: str
    seat: TicketSeat
    qr_token: str
    issued_at: datetime
    checked_in_at: datetime | None
    voided_at: datetime | None


class TicketNotFound(NotFound):
    """No such ticket for this caller, or a QR token that is forged or malformed."""

    code = "TICKET_NOT_FOUND"
    message = "No such ticket."


class NotConfirmed(Conflict):
    """The reservation has no valid tickets: it is not (or no longer) confirmed."""

    code = "NOT_CONFIRMED"
    message = "This reservation is not confirmed, so it has no tickets."


class AlreadyCheckedIn(Conflict):
    """The ticket was scanned before; details carry when."""

    code = "ALREADY_CHECKED_IN"
    message = "This ticket has already been checked in."


class TicketVoid(Conflict):
    """The ticket's reservation was canceled; it admits no one."""

    code = "TICKET_VOID"
    message = "This ticket is void (its reservation was canceled)."

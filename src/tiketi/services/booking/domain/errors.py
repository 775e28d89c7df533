"""Booking's failures, each with a stable code (documented in the README's booking section)."""

from __future__ import annotations

from tiketi.kernel.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed


class EventNotFound(NotFound):
    """No inventory for this event (unknown, or not published yet)."""

    code = "EVENT_NOT_FOUND"
    message = "No such event on sale."


class HoldNotFound(NotFound):
    """No such hold for this caller (others' holds are not revealed)."""

    code = "HOLD_NOT_FOUND"
    message = "No such hold."


class ReservationNotFound(NotFound):
    """No such reservation for this caller."""

    code = "RESERVATION_NOT_FOUND"
    message = "No such reservation."


class SeatUnavailable(Conflict):
    """At least one asked-for seat is held or sold; nothing was held."""

    code = "SEAT_UNAVAILABLE"
    message = "Some of these seats are not available."


class UnknownSeats(ValidationFailed):
    """Seat ids that are not part of this event's inventory."""

    message = "Some seat ids are not seats of this event."


class TicketLimit(ValidationFailed):
    """The hold would take the caller over the event's per-user limit."""

    code = "TICKET_LIMIT"
    message = "This would exceed the event's ticket limit per person."


class SaleNotOpen(Conflict):
    """The sale has not started yet."""

    code = "SALE_NOT_OPEN"
    message = "The sale for this event has not opened yet."


class SaleClosed(Conflict):
    """The sale window is over."""

    code = "SALE_CLOSED"
    message = "The sale for this event is closed."


class EventCanceled(Conflict):
    """The event was canceled: nothing can be held or bought."""

    code = "EVENT_CANCELED"
    message = "This event was canceled."


class EventStarted(Conflict):
    """Reservations cannot be canceled once the event has started."""

    code = "EVENT_STARTED"
    message = "The event has already started."


class AdmissionRequired(Forbidden):
    """The event's waiting room is on and no valid admission token was sent."""

    code = "ADMISSION_REQUIRED"
    message = "This event needs an admission from its waiting room (X-Admission-Token)."


class HoldExpired(DomainError):
    """The hold ran out (or was released) before it became a reservation."""

    code = "HOLD_EXPIRED"
    status = 410
    message = "This hold has expired."


class HoldReserved(Conflict):
    """The hold became a reservation; cancel the reservation instead."""

    code = "HOLD_RESERVED"
    message = "This hold became a reservation; cancel the reservation instead."


class ReservationNotPending(Conflict):
    """The reservation can no longer be changed this way."""

    code = "RESERVATION_NOT_PENDING"
    message = "This reservation cannot be changed in its current state."

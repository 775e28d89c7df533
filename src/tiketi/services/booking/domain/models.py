"""Booking's vocabulary: seat and reservation states, why a hold is refused, money."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tiketi.kernel.errors import DomainError
from tiketi.services.booking.domain.errors import (
    AdmissionRequired,
    EventCanceled,
    EventNotFound,
    SaleClosed,
    SaleNotOpen,
    SeatUnavailable,
    TicketLimit,
    UnknownSeats,
)


class SeatStatus(StrEnum):
    """A seat as the seat map shows it (an expired hold shows as available)."""

    AVAILABLE = "available"
    HELD = "held"
    SOLD = "sold"


class ReservationStatus(StrEnum):
    """A reservation's life: paid or not, and how it ended."""

    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class HoldStatus(StrEnum):
    """A hold's stored state; an active hold past its expiry is expired."""

    ACTIVE = "active"
    RELEASED = "released"
    RESERVED = "reserved"


class EventStatus(StrEnum):
    """Whether the event's inventory is for sale."""

    ON_SALE = "on_sale"
    CANCELED = "canceled"


def _at(info: Mapping[str, Any]) -> str:
    # PostgreSQL writes the session's offset; the API speaks UTC like every other timestamp.
    return datetime.fromisoformat(str(info["at"])).astimezone(UTC).isoformat()


def hold_refusal(
    outcome: str, info: Mapping[str, Any], *, wanted: list[int], admission: str | None
) -> DomainError:
    """The error for a hold the inventory refused (booking.take_hold's outcomes).

    `wanted` are the seats asked for, `admission` why the fan's admission did not count.
    """
    seat_ids = info.get("seat_ids", wanted)
    refusals: dict[str, Callable[[], DomainError]] = {
        "event_not_found": EventNotFound,
        "event_canceled": EventCanceled,
        "sale_not_open": lambda: SaleNotOpen(details={"sale_opens_at": _at(info)}),
        "sale_closed": lambda: SaleClosed(details={"sale_closes_at": _at(info)}),
        "admission_required": lambda: AdmissionRequired(
            details={"reason": admission or "no admission token"}
        ),
        "ticket_limit": lambda: TicketLimit(details=dict(info)),
        "unknown_seats": lambda: UnknownSeats(details={"seat_ids": seat_ids}),
    }
    # "unavailable" (taken before), "taken" (during) or "lost_race" (a lock wait gave up).
    return refusals.get(outcome, lambda: SeatUnavailable(details={"seat_ids": seat_ids}))()


def reservation_status(stored: str, expires_at: datetime, now: datetime) -> ReservationStatus:
    """The status a reader sees: a pending reservation past its expiry reads as expired."""
    status = ReservationStatus(stored)
    if status is ReservationStatus.PENDING_PAYMENT and expires_at <= now:
        return ReservationStatus.EXPIRED
    return status


def seat_status(stored: str, hold_expires_at: datetime | None, now: datetime) -> SeatStatus:
    """The status a reader sees: a held seat whose hold ran out is available."""
    status = SeatStatus(stored)
    if status is SeatStatus.HELD and hold_expires_at is not None and hold_expires_at <= now:
        return SeatStatus.AVAILABLE
    return status


def validate_seat_ids(seat_ids: list[int]) -> list[int]:
    """The ids sorted (rows are locked in key order); empty or duplicate lists are refused."""
    if not seat_ids:
        raise UnknownSeats("Name at least one seat.", details={"seat_ids": "empty"})
    if len(set(seat_ids)) != len(seat_ids):
        raise UnknownSeats("A seat is named twice.", details={"seat_ids": "duplicates"})
    return sorted(seat_ids)


@dataclass(frozen=True)
class SeatView:
    """A seat as a hold or reservation shows it."""

    id: int
    section: str
    row: str
    number: str
    grade: str
    price: int


@dataclass(frozen=True)
class HoldView:
    """A hold as its owner sees it."""

    id: str
    event_id: str
    seats: list[SeatView]
    amount: int
    expires_at: datetime


@dataclass(frozen=True)
class ReservationView:
    """A reservation as its owner sees it (status as of now)."""

    id: str
    event_id: str
    hold_id: str
    status: ReservationStatus
    seats: list[SeatView]
    amount: int
    currency: str
    expires_at: datetime
    created_at: datetime
    confirmed_at: datetime | None
    canceled_at: datetime | None

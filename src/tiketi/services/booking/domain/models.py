"""Booking's vocabulary: seat and reservation states, sale rules, money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tiketi.services.booking.domain.errors import (
    EventCanceled,
    SaleClosed,
    SaleNotOpen,
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


@dataclass(frozen=True)
class SaleWindow:
    """What decides whether seats may be held right now."""

    status: str
    sale_opens_at: datetime
    sale_closes_at: datetime

    def check(self, now: datetime) -> None:
        """Raise unless seats of this event can be held at `now`."""
        if self.status == EventStatus.CANCELED:
            raise EventCanceled()
        if now < self.sale_opens_at:
            raise SaleNotOpen(details={"sale_opens_at": self.sale_opens_at.isoformat()})
        if now >= self.sale_closes_at:
            raise SaleClosed(details={"sale_closes_at": self.sale_closes_at.isoformat()})


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

"""Booking's reservations as the payment service uses them when both run in one process.

Split, the payment service reads a fan's reservation with `GET /api/v1/reservations/{id}` (the
fan's token) and attaches a payment with the internal `POST /api/v1/reservations/{id}/confirm`.
In one process booking exports this port instead (`runtime.exports[RESERVATIONS_EXPORT]()`),
so a confirmation calls booking's use cases directly rather than through HTTP and the whole
middleware stack. The answers mean what the HTTP answers mean; a missing reservation (404) is
None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

RESERVATIONS_EXPORT = "booking.reservations"


@dataclass(frozen=True)
class PayableReservation:
    """What a payment needs of a reservation: its status as a reader sees it
    (`pending_payment`, `expired`, `confirmed`, …) and its amount in KRW."""

    id: str
    status: str
    amount: int


@dataclass(frozen=True)
class PaymentAttachment:
    """Booking's answer to a paid reservation: `confirmed`/`already_confirmed`, or why not
    (`seats_taken`, `amount_mismatch`, `not_confirmable`: the payment is refunded)."""

    outcome: str
    confirmed: bool


class ReservationDesk(Protocol):
    """Booking's reservations for an in-process payment service."""

    async def reservation(self, reservation_id: str, *, user_id: str) -> PayableReservation | None:
        """The user's reservation; None when there is none or it is someone else's."""
        ...

    async def confirm(
        self, reservation_id: str, *, payment_key: str, amount: int
    ) -> PaymentAttachment | None:
        """Sell the paid reservation's seats (idempotent); None when there is no such
        reservation."""
        ...

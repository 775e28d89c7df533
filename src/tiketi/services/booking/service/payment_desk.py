"""Booking's reservations for the payment service in the same process (contracts/reservations.py).

The same use cases and answers as `GET /api/v1/reservations/{id}` (the fan's own reservation)
and the internal `POST /api/v1/reservations/{id}/confirm`, without HTTP: a missing reservation
(their 404) is None, anything else booking refuses raises as it would have answered 4xx/5xx.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select

from tiketi.contracts.reservations import PayableReservation, PaymentAttachment
from tiketi.services.booking.adapters.orm import Reservation
from tiketi.services.booking.domain.errors import ReservationNotFound
from tiketi.services.booking.domain.models import reservation_status
from tiketi.services.booking.service.common import Booking, utcnow
from tiketi.services.booking.service.reservations import confirm_reservation


class PaymentDesk:
    """booking's side of `ReservationDesk`, on the Booking made at start-up."""

    def __init__(self, booking: Callable[[], Booking]) -> None:
        self._booking = booking

    async def reservation(self, reservation_id: str, *, user_id: str) -> PayableReservation | None:
        """The user's reservation as `GET /reservations/{id}` shows it (status, amount)."""
        try:
            owner = uuid.UUID(user_id)
        except ValueError:
            return None
        # One row's four columns: the payment needs neither the seats nor an ORM object.
        query = select(
            Reservation.user_id, Reservation.status, Reservation.expires_at, Reservation.amount
        ).where(Reservation.id == reservation_id)
        async with self._booking().uow() as uow:
            row = (await uow.session.execute(query)).first()
        if row is None or row.user_id != owner:
            return None
        status = reservation_status(row.status, row.expires_at, utcnow())
        return PayableReservation(id=reservation_id, status=status.value, amount=row.amount)

    async def confirm(
        self, reservation_id: str, *, payment_key: str, amount: int
    ) -> PaymentAttachment | None:
        """The internal confirm: sell the paid reservation's seats (idempotent)."""
        try:
            result = await confirm_reservation(
                booking=self._booking(),
                reservation_id=reservation_id,
                payment_key=payment_key,
                amount=amount,
            )
        except ReservationNotFound:
            return None
        return PaymentAttachment(outcome=result.outcome.value, confirmed=result.confirmed)

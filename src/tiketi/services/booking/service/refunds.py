"""Payments canceled at TossPayments: a confirmed reservation whose payment went back is void.

The merchant (or TossPayments) can cancel a payment outside Tiketi — the console, a chargeback.
The payment service learns of it (a webhook, or its reconciler asking TossPayments), records the
payment `refunded` and publishes PaymentRefunded. This consumer group then voids the reservation
the payment was attached to: status `refunded`, seats back on sale, tickets void (check-in and
the QR endpoint refuse them). It publishes ReservationCanceled with `refund=false` — the money
is back already, so payment must not cancel it a second time — and reason `payment_canceled`.

A group of its own (`booking-voids`) beside booking's main one, which also reads PaymentRefunded
(for refunds booking asked for): each group acts on a different reservation status, so whichever
reads the event first, the other finds nothing to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.payment import PaymentRefunded
from tiketi.kernel.streams import Subscription
from tiketi.services.booking.adapters.orm import SCHEMA, Reservation
from tiketi.services.booking.domain.models import ReservationStatus
from tiketi.services.booking.service.common import Booking, utcnow
from tiketi.services.booking.service.reservations import cancel_in_session

GROUP = "booking-voids"
REASON = "payment_canceled"
log = structlog.get_logger("tiketi.booking")


def voids_subscription(current: Callable[[], Booking]) -> Subscription:
    """Booking's consumer group that voids reservations whose payment was canceled."""

    async def on_refunded(event: PaymentRefunded, session: AsyncSession) -> None:
        voided = await void_paid_reservation(
            session, reservation_id=event.reservation_id, payment_key=event.payment_key
        )
        if voided is not None and voided[2]:
            event_id, version, freed = voided
            await current().announce(event_id, version, dict.fromkeys(freed, "available"))

    return Subscription(group=GROUP, schema=SCHEMA, handlers={PaymentRefunded: on_refunded})


async def void_paid_reservation(
    session: AsyncSession, *, reservation_id: str, payment_key: str
) -> tuple[uuid.UUID, int, list[int]] | None:
    """Void the confirmed reservation paid with `payment_key`, in the caller's transaction:
    (event id, new map version, freed seat ids), or None when there is nothing to void (not
    confirmed, or confirmed with another payment: the refund was of someone else's attempt)."""
    reservation = await session.scalar(
        select(Reservation).where(Reservation.id == reservation_id).with_for_update()
    )
    if (
        reservation is None
        or reservation.status != ReservationStatus.CONFIRMED
        or reservation.payment_key != payment_key
    ):
        return None
    # Refunded, not canceled: the money went back already; nothing is left to ask of payment.
    freed, version = await cancel_in_session(
        session, reservation, reason=REASON, now=utcnow(),
        status=ReservationStatus.REFUNDED, refund=False,
    )  # fmt: skip
    log.info("reservation_voided", reservation_id=reservation.id, seats=len(freed))
    return reservation.event_id, version, freed

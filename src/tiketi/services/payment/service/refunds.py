"""Refunds booking asks for: a paid reservation canceled by the fan or with its event."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.booking import ReservationCanceled
from tiketi.contracts.events import IntegrationEvent
from tiketi.kernel.streams import Handler
from tiketi.services.payment.adapters.payments import PaymentRecords
from tiketi.services.payment.domain.models import PaymentState
from tiketi.services.payment.service.common import Payments, utcnow
from tiketi.services.payment.service.settle import Snapshot, apply_refund, cancel_at_toss

log = structlog.get_logger("tiketi.payment")


def event_handlers(current: Callable[[], Payments]) -> dict[type[IntegrationEvent], Handler]:
    """The payment service's subscription: refunds for canceled paid reservations."""

    async def on_canceled(event: ReservationCanceled, session: AsyncSession) -> None:
        if event.refund:
            await request_refund(
                current(), session, order_id=event.reservation_id, reason=event.reason
            )

    return {ReservationCanceled: on_canceled}


async def request_refund(
    payments: Payments, session: AsyncSession, *, order_id: str, reason: str
) -> bool:
    """Mark the order's payment for a full refund and try it at once, in the consumer's
    transaction (a redelivery repeats the cancel with the same Idempotency-Key: harmless).
    When TossPayments does not answer, the reconciler finishes it. True when refunded now."""
    records = PaymentRecords(session)
    row = await records.get(order_id, lock=True)
    if row is None:
        log.warning("refund_without_payment", order_id=order_id)
        return False
    if row.state not in (PaymentState.CONFIRMED, PaymentState.APPROVED):
        # Unsettled ones end refunded anyway: booking no longer confirms the reservation.
        return False
    await records.move(
        order_id, from_states=[PaymentState.CONFIRMED, PaymentState.APPROVED],
        state=PaymentState.REFUNDING.value, refund_reason=reason[:40], next_attempt_at=utcnow(),
    )  # fmt: skip
    row = await records.get(order_id)
    assert row is not None
    payment = Snapshot.of(row)
    return await apply_refund(session, payment, await cancel_at_toss(payments, payment))

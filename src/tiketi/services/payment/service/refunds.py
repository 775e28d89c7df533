"""Refunds booking asks for: a paid reservation canceled by the fan or with its event.

The consumer only marks the payment `refunding` (one row update, so a canceled event with
thousands of paid reservations does not hold the consumer up for thousands of TossPayments
calls); once that commits, the cancel at TossPayments runs beside the consumer, at most
`settle_concurrency` at once per process. Each refund is idempotent on its own (conditional
state changes, one Idempotency-Key per payment), and the mark carries a lease: a process that
dies before refunding leaves the payment to the reconciler once the lease runs out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import structlog
from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from tiketi.contracts.booking import ReservationCanceled
from tiketi.contracts.events import IntegrationEvent
from tiketi.kernel.streams import Handler
from tiketi.services.payment.adapters.payments import PaymentRecords
from tiketi.services.payment.domain.models import PaymentState
from tiketi.services.payment.service.common import Payments, utcnow
from tiketi.services.payment.service.settle import refund

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
    """Mark the order's payment for a full refund in the consumer's transaction, and have it
    refunded once that transaction commits. True when it was marked."""
    records = PaymentRecords(session)
    row = await records.get(order_id, lock=True)
    if row is None:
        log.warning("refund_without_payment", order_id=order_id)
        return False
    if row.state not in (PaymentState.CONFIRMED, PaymentState.APPROVED):
        # Unsettled ones end refunded anyway: booking no longer confirms the reservation.
        return False
    now = utcnow()
    await records.move(
        order_id, from_states=[PaymentState.CONFIRMED, PaymentState.APPROVED],
        state=PaymentState.REFUNDING.value, refund_reason=reason[:40], next_attempt_at=now,
        # Ours for now: the reconciler takes it over only if this process never gets to it.
        lease_until=now + timedelta(seconds=payments.settings.confirm_budget_seconds),
    )  # fmt: skip
    after_commit(
        session, lambda: payments.background.spawn(order_id, lambda: refund_now(payments, order_id))
    )
    return True


async def refund_now(payments: Payments, order_id: str) -> None:
    """Cancel one marked payment at TossPayments (what the consumer started)."""
    settled = await refund(payments, order_id)
    log.info("refund_settled", order_id=order_id, settled=settled.value)


def after_commit(session: AsyncSession, run: Callable[[], None]) -> None:
    """Call `run` once the session's transaction has committed (never after a rollback: the
    message is then delivered again, and marks again)."""

    def committed(_: Session) -> None:
        run()

    orm_event.listen(session.sync_session, "after_commit", committed, once=True)

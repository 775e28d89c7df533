"""Settling a payment: record what TossPayments says, attach it to the reservation, or refund it.

Shared by the confirmation, the reconciler and refund requests. Every step is a conditional
state change (adapters/payments.py), so whichever of them gets there first does it, once. No
database lock is held while TossPayments or booking is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.payment import PaymentApproved, PaymentRefunded
from tiketi.kernel.outbox import publish
from tiketi.services.payment.adapters import metrics
from tiketi.services.payment.adapters.orm import SCHEMA, Payment
from tiketi.services.payment.adapters.payments import PaymentRecords, PaymentRow, toss_fields
from tiketi.services.payment.domain.errors import BookingUnavailable
from tiketi.services.payment.domain.models import (
    PaymentState,
    TossFailure,
    TossPayment,
    TossStatus,
    TossUnreachable,
    idempotency_key,
    retry_delay,
)
from tiketi.services.payment.service.common import Payments, utcnow

log = structlog.get_logger("tiketi.payment")

UNSETTLED = (PaymentState.APPROVING, PaymentState.UNKNOWN)
# A payment TossPayments reports cancelled in full that we had approved or attached: the
# merchant cancelled it outside Tiketi (the console, a chargeback). Booking voids its
# reservation on the PaymentRefunded that says so.
CANCELED_AT_TOSS = "payment_canceled"
REFUND_REASONS = {
    "customer": "고객 요청 취소",
    "event_canceled": "공연 취소",
    "seats_gone": "결제 지연으로 좌석 매진",
    "not_confirmable": "예약 확정 불가",
}


class Settled(StrEnum):
    """Where a payment stands after a settling step."""

    CONFIRMED = "confirmed"
    REFUNDED = "refunded"
    REFUND_PENDING = "refund_pending"
    BOOKING_PENDING = "booking_pending"  # approved; booking did not answer
    UNKNOWN = "unknown"  # TossPayments did not answer
    FAILED = "failed"


@dataclass(frozen=True)
class Snapshot:
    """A payment row's fields, read in one transaction and used after it ended."""

    order_id: str
    user_id: str | None
    payment_key: str
    amount: int
    state: PaymentState
    attempts: int
    refund_reason: str | None
    method: str | None

    @classmethod
    def of(cls, row: PaymentRow) -> Snapshot:
        """Copy a row."""
        return cls(
            order_id=row.order_id,
            user_id=str(row.user_id) if row.user_id else None,
            payment_key=row.payment_key,
            amount=row.amount,
            state=PaymentState(row.state),
            attempts=row.attempts,
            refund_reason=row.refund_reason,
            method=row.method,
        )


async def load(payments: Payments, order_id: str) -> Payment | None:
    """The payment row as it is now."""
    async with payments.uow() as uow:
        row = await PaymentRecords(uow.session).get(order_id)
        if row is not None:
            # Detached with its values loaded: the unit of work's rollback cannot expire them.
            uow.session.expunge(row)
        return row


async def later(
    payments: Payments, payment: Snapshot, from_state: PaymentState, **values: Any
) -> None:
    """Give the payment back to the reconciler, to look at again after a back-off."""
    due = utcnow() + timedelta(
        seconds=retry_delay(
            payment.attempts, ceiling=payments.settings.reconcile_max_backoff_seconds
        )
    )
    async with payments.uow() as uow:
        await PaymentRecords(uow.session).move(
            payment.order_id,
            from_states=[from_state],
            lease_until=None,
            next_attempt_at=due,
            **values,
        )
        await uow.commit()


async def record_toss(payments: Payments, payment: Snapshot, toss: TossPayment) -> PaymentState:
    """Take over what TossPayments says of an unsettled payment; the state it is now in."""
    if toss.done:
        state = PaymentState.APPROVED
    elif toss.fully_canceled:
        state = PaymentState.REFUNDED
    elif toss.status == TossStatus.PARTIAL_CANCELED:
        state = PaymentState.REFUNDING
    elif toss.status in (TossStatus.ABORTED, TossStatus.EXPIRED):
        state = PaymentState.FAILED
    else:
        return PaymentState.UNKNOWN  # READY, IN_PROGRESS, WAITING_FOR_DEPOSIT: not yet
    values: dict[str, Any] = {"state": state.value, **toss_fields(toss)}
    # An order paid with a payment we did not know of (a webhook) is settled all the same.
    values["payment_key"] = toss.payment_key
    if state is PaymentState.FAILED:
        values.update(lease_until=None, failure_code="NOT_APPROVED")
    if state is PaymentState.REFUNDING:
        values.update(refund_reason="not_confirmable")
    async with payments.uow() as uow:
        moved = await PaymentRecords(uow.session).move(
            payment.order_id, from_states=UNSETTLED, **values
        )
        if moved and state is PaymentState.REFUNDED:
            await _refunded_event(uow.session, payment, toss.payment_key, "not_confirmable")
        await uow.commit()
    return state if moved else PaymentState(await _state_of(payments, payment.order_id))


async def _state_of(payments: Payments, order_id: str) -> str:
    row = await load(payments, order_id)
    return row.state if row is not None else PaymentState.FAILED.value


async def attach(payments: Payments, payment: Snapshot) -> Settled:
    """An approved payment: booking confirms its reservation, or it is refunded."""
    settled, _ = await attach_row(payments, payment)
    return settled


async def attach_row(payments: Payments, payment: Snapshot) -> tuple[Settled, PaymentRow | None]:
    """`attach`, with the payment row as confirmed when this call confirmed it."""
    try:
        answer = await payments.booking.confirm(
            payment.order_id, payment_key=payment.payment_key, amount=payment.amount
        )
    except BookingUnavailable:
        await later(payments, payment, PaymentState.APPROVED)
        return Settled.BOOKING_PENDING, None
    if answer is not None and answer.confirmed:
        async with payments.uow() as uow:
            row = await PaymentRecords(uow.session).move_returning(
                payment.order_id, from_states=[PaymentState.APPROVED],
                state=PaymentState.CONFIRMED.value, lease_until=None,
            )  # fmt: skip
            if row is not None:
                await publish(uow.session, SCHEMA, _approved_event(row))
            await uow.commit()
        if row is not None:
            return Settled.CONFIRMED, row
        # Someone else settled it meanwhile (or a refund request got there first).
        return await _lost_attach(payments, payment), None
    reason = (
        "seats_gone"
        if answer is not None and answer.outcome == "seats_taken"
        else ("not_confirmable")
    )
    log.info("payment_not_attachable", order_id=payment.order_id, outcome=answer and answer.outcome)
    async with payments.uow() as uow:
        await PaymentRecords(uow.session).move(
            payment.order_id, from_states=[PaymentState.APPROVED],
            state=PaymentState.REFUNDING.value, refund_reason=reason,
        )  # fmt: skip
        await uow.commit()
    return await refund(payments, payment.order_id), None


async def _lost_attach(payments: Payments, payment: Snapshot) -> Settled:
    """Booking confirmed the reservation, but the payment had moved on meanwhile. If it was
    cancelled at TossPayments, booking may have read that PaymentRefunded before its own
    confirmation committed: say it again, so the reservation confirmed just now is voided
    (booking voids a confirmed reservation once, whichever event it reads)."""
    row = await load(payments, payment.order_id)
    if (
        row is not None
        and row.state == PaymentState.REFUNDED
        and row.refund_reason == CANCELED_AT_TOSS
    ):
        async with payments.uow() as uow:
            await _refunded_event(uow.session, payment, row.payment_key, CANCELED_AT_TOSS)
            await uow.commit()
        return Settled.REFUNDED
    return await current(payments, payment.order_id)


async def record_canceled_at_toss(
    session: AsyncSession,
    payment: Snapshot,
    toss: TossPayment,
    *,
    from_states: tuple[PaymentState, ...] = (PaymentState.APPROVED, PaymentState.CONFIRMED),
) -> bool:
    """An approved or confirmed payment TossPayments says was cancelled in full (in the
    caller's transaction): `refunded`, and PaymentRefunded(reason payment_canceled) so booking
    voids the reservation. False when the payment was not in `from_states` (any more)."""
    if not toss.fully_canceled or toss.payment_key != payment.payment_key:
        return False
    moved = await PaymentRecords(session).move(
        payment.order_id, from_states=from_states, state=PaymentState.REFUNDED.value,
        lease_until=None, refund_reason=CANCELED_AT_TOSS, **toss_fields(toss),
    )  # fmt: skip
    if moved:
        log.warning("payment_canceled_at_toss", order_id=payment.order_id, was=payment.state)
        await _refunded_event(session, payment, payment.payment_key, CANCELED_AT_TOSS)
    return moved


def _approved_event(row: PaymentRow) -> PaymentApproved:
    return PaymentApproved(
        reservation_id=row.order_id,
        payment_key=row.payment_key,
        user_id=str(row.user_id) if row.user_id else None,
        amount=row.amount,
        method=row.method,
        approved_at=row.approved_at,
    )


async def _refunded_event(
    session: AsyncSession, payment: Snapshot, payment_key: str, reason: str
) -> None:
    metrics.REFUNDS.labels(reason).inc()
    await publish(
        session,
        SCHEMA,
        PaymentRefunded(
            reservation_id=payment.order_id,
            payment_key=payment_key,
            user_id=payment.user_id,
            amount=payment.amount,
            reason=reason,
        ),
    )


async def current(payments: Payments, order_id: str) -> Settled:
    """Where a payment someone else moved stands (carrying on with a requested refund)."""
    row = await load(payments, order_id)
    state = PaymentState(row.state) if row is not None else PaymentState.FAILED
    if state is PaymentState.REFUNDING:
        return await refund(payments, order_id)
    return {
        PaymentState.CONFIRMED: Settled.CONFIRMED,
        PaymentState.REFUNDED: Settled.REFUNDED,
        PaymentState.APPROVED: Settled.BOOKING_PENDING,
        PaymentState.FAILED: Settled.FAILED,
    }.get(state, Settled.UNKNOWN)


async def refund(payments: Payments, order_id: str) -> Settled:
    """Cancel a payment in REFUNDING in full at TossPayments; REFUND_PENDING when it did not
    answer (the reconciler tries again)."""
    row = await load(payments, order_id)
    if row is None or row.state != PaymentState.REFUNDING:
        return Settled.REFUNDED if row is not None and row.state == "refunded" else Settled.FAILED
    payment = Snapshot.of(row)
    toss = await cancel_at_toss(payments, payment)
    async with payments.uow() as uow:
        done = await apply_refund(uow.session, payment, toss)
        await uow.commit()
    if not done:
        await later(payments, payment, PaymentState.REFUNDING)
        return Settled.REFUND_PENDING
    return Settled.REFUNDED


async def cancel_at_toss(payments: Payments, payment: Snapshot) -> TossPayment | None:
    """Ask TossPayments to cancel in full; None when it did not (or could not) answer."""
    reason = payment.refund_reason or "not_confirmable"
    try:
        return await payments.toss.cancel(
            payment_key=payment.payment_key,
            reason=REFUND_REASONS.get(reason, reason),
            idempotency_key=idempotency_key("cancel", payment.order_id, payment.payment_key),
        )
    except TossUnreachable:
        return None
    except TossFailure as failure:
        log.error("refund_refused", order_id=payment.order_id, code=failure.code)
        return None


async def apply_refund(session: AsyncSession, payment: Snapshot, toss: TossPayment | None) -> bool:
    """Record a cancellation TossPayments confirmed (in the caller's transaction)."""
    if toss is None or not toss.fully_canceled:
        return False
    moved = await PaymentRecords(session).move(
        payment.order_id, from_states=[PaymentState.REFUNDING],
        state=PaymentState.REFUNDED.value, lease_until=None, **toss_fields(toss),
    )  # fmt: skip
    if moved:
        await _refunded_event(session, payment, payment.payment_key, payment.refund_reason or "")
    return moved

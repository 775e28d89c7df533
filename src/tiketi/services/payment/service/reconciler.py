"""The reconciler: settles payments whose outcome is unknown, by asking TossPayments.

A payment is open while we do not know its end: we asked TossPayments to approve and lost the
answer (approving, unknown), it was approved but booking did not confirm (approved), or a
refund did not go through (refunding). Each run leases the due ones (`FOR UPDATE SKIP LOCKED`,
so replicas share the work) and takes each one step further: look the order up at TossPayments
(`GET /v1/payments/orders/{orderId}`), finish an approval it did not finish, attach the payment
to its reservation, or refund it. Whatever still cannot be settled is tried again after a
back-off. The invariant it keeps: every payment DONE at TossPayments ends attached to a
confirmed reservation or fully refunded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import datetime, timedelta

import structlog

from tiketi.kernel.errors import DomainError
from tiketi.kernel.streams import raise_if_cancelled
from tiketi.services.payment.adapters import metrics
from tiketi.services.payment.adapters.payments import PaymentRecords
from tiketi.services.payment.domain.models import PaymentState, TossStatus, TossUnreachable
from tiketi.services.payment.service.common import Payments, utcnow
from tiketi.services.payment.service.confirm import approve_at_toss
from tiketi.services.payment.service.settle import (
    UNSETTLED,
    Settled,
    Snapshot,
    attach,
    later,
    load,
    record_canceled_at_toss,
    record_toss,
    refund,
)

log = structlog.get_logger("tiketi.payment.reconciler")


async def reconcile_once(*, payments: Payments, now: datetime | None = None) -> Counter[str]:
    """Settle (or move on) every due open payment; what was done, by action."""
    now = now or utcnow()
    lease = now + timedelta(seconds=payments.settings.confirm_budget_seconds)
    async with payments.uow() as uow:
        rows = await PaymentRecords(uow.session).lease_open(
            now=now, lease_until=lease, limit=payments.settings.reconcile_batch
        )
        leased = [Snapshot.of(row) for row in rows]
        await uow.commit()
    actions: Counter[str] = Counter()
    # Each payment is settled on its own (its own transactions and calls), so a batch runs
    # side by side, bounded: one slow TossPayments answer does not hold the others up.
    slots = asyncio.Semaphore(payments.settings.settle_concurrency)

    async def settle(payment: Snapshot) -> None:
        async with slots:
            action = await _settle(payments, payment)
        actions[action] += 1
        metrics.RECONCILER.labels(action).inc()
        log.info("payment_reconciled", order_id=payment.order_id, was=payment.state, action=action)

    await asyncio.gather(*(settle(payment) for payment in leased))
    return actions


async def _settle(payments: Payments, payment: Snapshot) -> str:
    try:
        if payment.state in UNSETTLED:
            state = await _resolve(payments, payment)
            if state is not PaymentState.APPROVED:
                return f"resolved_{state.value}"
            row = await load(payments, payment.order_id)
            assert row is not None
            payment = Snapshot.of(row)  # the paymentKey TossPayments approved
        elif payment.state is PaymentState.APPROVED and await _canceled_at_toss(payments, payment):
            return "resolved_canceled_at_toss"
        if payment.state is PaymentState.REFUNDING:
            return _action(await refund(payments, payment.order_id))
        return _action(await attach(payments, payment))
    except TossUnreachable:
        return "retry_toss_unreachable"
    except DomainError as exc:  # recorded already (a refusal), or to be retried later
        return exc.code.lower()
    except Exception:
        log.warning("reconcile_failed", order_id=payment.order_id, exc_info=True)
        await later(payments, payment, payment.state)
        return "error"


async def _resolve(payments: Payments, payment: Snapshot) -> PaymentState:
    """What became of an approval whose answer was lost: TossPayments knows."""
    try:
        toss = await payments.toss.payment_by_order(payment.order_id)
    except TossUnreachable:
        await later(payments, payment, payment.state)
        raise
    if toss is None:
        # TossPayments has no payment for the order: nothing was charged.
        async with payments.uow() as uow:
            await PaymentRecords(uow.session).move(
                payment.order_id, from_states=UNSETTLED, state=PaymentState.FAILED.value,
                lease_until=None, failure_code="NOT_FOUND_PAYMENT",
            )  # fmt: skip
            await uow.commit()
        return PaymentState.FAILED
    if toss.status in (TossStatus.READY, TossStatus.IN_PROGRESS) and (
        toss.payment_key == payment.payment_key
    ):
        # Our approval never reached it: finish what the fan asked for (same Idempotency-Key).
        return await approve_at_toss(payments, payment)
    state = await record_toss(payments, payment, toss)
    if state is PaymentState.UNKNOWN:
        await later(payments, payment, payment.state)
    return state


async def _canceled_at_toss(payments: Payments, payment: Snapshot) -> bool:
    """An approved payment still to attach: was it cancelled at TossPayments meanwhile (the
    merchant's console)? Then it is refunded, not attached to a reservation."""
    try:
        toss = await payments.toss.payment(payment.payment_key)
    except TossUnreachable:
        await later(payments, payment, payment.state)
        raise
    if not toss.fully_canceled:
        return False
    async with payments.uow() as uow:
        moved = await record_canceled_at_toss(uow.session, payment, toss)
        await uow.commit()
    return moved


def _action(settled: Settled) -> str:
    return settled.value


async def run_reconciler(payments: Payments) -> None:
    """The module's worker: a run at start, then every `reconcile_seconds` (sooner when woken)."""
    while True:
        raise_if_cancelled()
        try:
            while sum((await reconcile_once(payments=payments)).values()) >= (
                payments.settings.reconcile_batch
            ):
                raise_if_cancelled()
        except Exception as exc:  # the database may be away: the next tick tries again
            log.warning("reconciler_failed", error=str(exc))
        payments.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(payments.wake.wait(), payments.settings.reconcile_seconds)

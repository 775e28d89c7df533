"""The confirmation: check the reservation, approve at TossPayments, attach or refund.

Idempotent on the order: a repeat gets the first outcome; a repeat while the first runs waits
for it (in this process it shares the call; across processes it watches the row).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from tiketi.kernel.errors import DomainError
from tiketi.services.payment.adapters import metrics
from tiketi.services.payment.adapters.orm import Payment
from tiketi.services.payment.adapters.payments import PaymentRecords, PaymentRow
from tiketi.services.payment.domain.errors import (
    AmountMismatch,
    BookingUnavailable,
    OrderAlreadyPaid,
    OrderNotFound,
    PaymentInProgress,
    PaymentInvalid,
    PaymentProviderUnavailable,
    PaymentRefunded,
    PaymentRejected,
    PaymentSessionExpired,
    ReservationNotPayable,
    SeatsGoneRefunded,
)
from tiketi.services.payment.domain.models import (
    OPEN_STATES,
    PaymentState,
    TossErrorKind,
    TossFailure,
    TossUnreachable,
    idempotency_key,
)
from tiketi.services.payment.service.common import Payments, utcnow
from tiketi.services.payment.service.settle import (
    UNSETTLED,
    Settled,
    Snapshot,
    attach_row,
    later,
    load,
    record_toss,
)

log = structlog.get_logger("tiketi.payment")

PAYABLE = ("pending_payment", "expired")
_WAIT = "wait"
_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class ConfirmedPayment:
    """A payment attached to its confirmed reservation."""

    order_id: str
    payment_key: str
    status: str
    method: str | None
    amount: int
    approved_at: datetime | None


async def confirm_payment(
    *, payments: Payments, user_id: str, bearer: str, order_id: str, payment_key: str, amount: int
) -> ConfirmedPayment:
    """Confirm the caller's payment of their reservation (see the module's docstring)."""
    started = time.perf_counter()
    try:
        result = await payments.flights.run(
            f"{user_id}:{order_id}:{payment_key}:{amount}",
            lambda: _confirm(payments, user_id, bearer, order_id, payment_key, amount),
        )
    except DomainError as exc:
        metrics.CONFIRMS.labels(exc.code.lower()).inc()
        raise
    finally:
        metrics.CONFIRM_LATENCY.observe(time.perf_counter() - started)
    metrics.CONFIRMS.labels("confirmed").inc()
    return result


def _user(user_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(user_id)
    except ValueError:
        raise OrderNotFound() from None


async def _confirm(
    payments: Payments, user_id: str, bearer: str, order_id: str, payment_key: str, amount: int
) -> ConfirmedPayment:
    uid = _user(user_id)
    deadline = time.monotonic() + payments.settings.confirm_budget_seconds
    # The usual confirmation is an order's first: booking says the reservation is payable and
    # the claim makes the row, without reading it first. Anything else (a repeat, a payment
    # under way, an order not payable any more) is decided from the row as it is, below.
    claimed = await _first_claim(payments, uid, bearer, order_id, payment_key, amount)
    if claimed is not None:
        return await _drive(payments, claimed)
    checked = False
    while True:
        row = await load(payments, order_id)
        if row is not None and row.user_id is not None and row.user_id != uid:
            raise OrderNotFound()
        decision = _replay(row, payment_key) if row is not None else None
        if isinstance(decision, ConfirmedPayment):
            return decision
        if decision == _WAIT:
            if time.monotonic() > deadline:
                raise PaymentInProgress()
            await asyncio.sleep(_POLL_SECONDS)
            continue
        if not checked:
            await _check_reservation(payments, row, uid, bearer, order_id, payment_key, amount)
            checked = True
        snapshot = await _claim(payments, uid, order_id, payment_key, amount)
        if snapshot is not None:
            return await _drive(payments, snapshot)
        if time.monotonic() > deadline:
            raise PaymentInProgress()
        await asyncio.sleep(_POLL_SECONDS)


async def _first_claim(
    payments: Payments,
    uid: uuid.UUID,
    bearer: str,
    order_id: str,
    payment_key: str,
    amount: int,
) -> Snapshot | None:
    """Claim the order straight away when booking says it is the caller's, payable, and costs
    `amount`; None to decide from the payment row (OrderNotFound is final either way).

    The claim takes a row only when there is none, or a failed attempt's, or an unfinished one
    with this paymentKey whose lease ran out: exactly what the row-first path would claim once
    the row's replay said "go on". A row of another user cannot be taken: booking has just said
    the reservation, hence the order, is this caller's."""
    try:
        await _check_reservation(payments, None, uid, bearer, order_id, payment_key, amount)
    except (ReservationNotPayable, AmountMismatch):
        return None  # maybe a repeat of a confirmation that went through: the row says
    return await _claim(payments, uid, order_id, payment_key, amount)


async def _claim(
    payments: Payments, uid: uuid.UUID, order_id: str, payment_key: str, amount: int
) -> Snapshot | None:
    now = utcnow()
    async with payments.uow() as uow:
        claimed = await PaymentRecords(uow.session).claim(
            order_id=order_id, user_id=uid, payment_key=payment_key, amount=amount, now=now,
            lease_until=now + timedelta(seconds=payments.settings.confirm_budget_seconds),
        )  # fmt: skip
        snapshot = Snapshot.of(claimed) if claimed is not None else None
        await uow.commit()
    return snapshot


def _replay(row: Payment, payment_key: str) -> ConfirmedPayment | str | None:
    """The first outcome for a repeat; _WAIT while another confirmation runs; None: go on."""
    state = PaymentState(row.state)
    same = row.payment_key == payment_key
    if state is PaymentState.CONFIRMED:
        if not same:
            raise OrderAlreadyPaid()
        return _view(row)
    if state in (PaymentState.REFUNDED, PaymentState.REFUNDING):
        if not same:
            raise ReservationNotPayable()
        raise _refund_error(row.refund_reason, pending=state is PaymentState.REFUNDING)
    if state in OPEN_STATES:
        live = row.lease_until is not None and row.lease_until > utcnow()
        if live:
            return _WAIT
        if not same:
            # The order's first payment may have been charged: it is settled first.
            raise PaymentInProgress()
    return None


async def _check_reservation(
    payments: Payments,
    row: Payment | None,
    uid: uuid.UUID,
    bearer: str,
    order_id: str,
    payment_key: str,
    amount: int,
) -> None:
    """The reservation must be the caller's, payable, and cost exactly `amount`."""
    reservation = await payments.booking.reservation(order_id, user_id=str(uid), bearer=bearer)
    if reservation is None:
        raise OrderNotFound()
    # Booking confirmed it, but our record of it was cut short: settle it on.
    resuming = (
        reservation.status == "confirmed"
        and row is not None
        and row.payment_key == payment_key
        and PaymentState(row.state) in OPEN_STATES
    )
    if reservation.status not in PAYABLE and not resuming:
        raise ReservationNotPayable(details={"reservation_status": reservation.status})
    if reservation.amount != amount:
        raise AmountMismatch(details={"expected": reservation.amount, "given": amount})


async def _drive(payments: Payments, payment: Snapshot) -> ConfirmedPayment:
    if payment.state in UNSETTLED:
        state = await approve_at_toss(payments, payment)
        if state is not PaymentState.APPROVED:
            raise _state_error(state, payment)
    settled, confirmed = await attach_row(payments, payment)
    if confirmed is not None:
        return _view(confirmed)
    if settled is Settled.CONFIRMED:
        row = await load(payments, payment.order_id)
        assert row is not None
        return _view(row)
    if settled is Settled.BOOKING_PENDING:
        raise BookingUnavailable()
    row = await load(payments, payment.order_id)
    reason = row.refund_reason if row is not None else None
    raise _refund_error(reason, pending=settled is Settled.REFUND_PENDING)


async def approve_at_toss(payments: Payments, payment: Snapshot) -> PaymentState:
    """Ask TossPayments to approve (same Idempotency-Key every time) and record its answer;
    a definitive refusal raises the matching error after recording it."""
    try:
        toss = await payments.toss.confirm(
            payment_key=payment.payment_key,
            order_id=payment.order_id,
            amount=payment.amount,
            idempotency_key=idempotency_key("confirm", payment.order_id, payment.payment_key),
        )
    except TossUnreachable:
        await later(payments, payment, payment.state, state=PaymentState.UNKNOWN.value)
        raise PaymentProviderUnavailable() from None
    except TossFailure as failure:
        await _failed(payments, payment, failure)
        raise _failure_error(failure) from None
    return await record_toss(payments, payment, toss)


async def _failed(payments: Payments, payment: Snapshot, failure: TossFailure) -> None:
    if failure.kind is TossErrorKind.UNAUTHORIZED:
        log.error("toss_key_refused", code=failure.code)
    async with payments.uow() as uow:
        await PaymentRecords(uow.session).move(
            payment.order_id, from_states=UNSETTLED, state=PaymentState.FAILED.value,
            lease_until=None, failure_code=failure.code[:80], failure_message=failure.message[:500],
        )  # fmt: skip
        await uow.commit()


def _failure_error(failure: TossFailure) -> DomainError:
    details = {"provider_code": failure.code, "reason": failure.message}
    if failure.kind is TossErrorKind.REJECTED:
        return PaymentRejected(details=details)
    if failure.kind is TossErrorKind.SESSION_EXPIRED:
        return PaymentSessionExpired(details=details)
    if failure.kind is TossErrorKind.UNAUTHORIZED:
        return PaymentProviderUnavailable()
    return PaymentInvalid(details=details)


def _state_error(state: PaymentState, payment: Snapshot) -> DomainError:
    if state is PaymentState.FAILED:
        return PaymentRejected(details={"provider_code": "NOT_APPROVED"})
    if state in (PaymentState.REFUNDED, PaymentState.REFUNDING):
        return PaymentRefunded()
    log.warning("payment_not_approved", order_id=payment.order_id, state=state.value)
    return PaymentProviderUnavailable()


def _refund_error(reason: str | None, *, pending: bool) -> DomainError:
    details = {"refund": "pending" if pending else "done"}
    if reason == "seats_gone":
        return SeatsGoneRefunded(details=details)
    return PaymentRefunded(details=details)


def _view(row: PaymentRow) -> ConfirmedPayment:
    return ConfirmedPayment(
        order_id=row.order_id,
        payment_key=row.payment_key,
        status=row.toss_status or "DONE",
        method=row.method,
        amount=row.amount,
        approved_at=row.approved_at,
    )

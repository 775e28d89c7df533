"""TossPayments webhooks: stored once per transmission, then acted on from TossPayments' own
answer — a webhook's body alone is never trusted."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import structlog
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert

from tiketi.services.payment.adapters import metrics
from tiketi.services.payment.adapters.orm import Payment, Webhook
from tiketi.services.payment.adapters.payments import PaymentRecords
from tiketi.services.payment.domain.models import (
    PaymentState,
    TossFailure,
    TossPayment,
    TossUnreachable,
)
from tiketi.services.payment.service.common import Payments, utcnow
from tiketi.services.payment.service.settle import Snapshot, record_canceled_at_toss

log = structlog.get_logger("tiketi.payment.webhooks")

STATUS_CHANGED = "PAYMENT_STATUS_CHANGED"
DEPOSIT_CALLBACK = "DEPOSIT_CALLBACK"


def event_type_of(body: dict[str, Any]) -> str:
    """The webhook's type (a deposit callback may come without `eventType`)."""
    given = body.get("eventType")
    if isinstance(given, str) and given:
        return given[:60]
    if "secret" in body and "orderId" in body:
        return DEPOSIT_CALLBACK
    return "UNKNOWN"


async def receive_webhook(
    *, payments: Payments, transmission_id: str | None, body: dict[str, Any]
) -> str:
    """Store the delivery (a repeat of a transmission id is a no-op), then act on it; the
    result, for the log. Acting may fail: the reconciler still settles every payment."""
    event_type = event_type_of(body)
    tid = (transmission_id or "").strip()[:200] or "body:" + hashlib.sha256(
        json.dumps(body, sort_keys=True).encode()
    ).hexdigest()
    async with payments.uow() as uow:
        stored = await uow.session.execute(
            insert(Webhook)
            .values(transmission_id=tid, event_type=event_type, body=body)
            .on_conflict_do_nothing(index_elements=[Webhook.transmission_id])
            .returning(Webhook.transmission_id)
        )
        fresh = stored.first() is not None
        await uow.commit()
    if not fresh:
        metrics.WEBHOOKS.labels(event_type, "duplicate").inc()
        return "duplicate"
    try:
        result = await _act(payments, event_type, body)
    except (TossUnreachable, TossFailure) as exc:
        result = "toss_unavailable"
        log.warning("webhook_not_verified", event_type=event_type, error=str(exc))
    metrics.WEBHOOKS.labels(event_type if result != "ignored" else "other", result).inc()
    async with payments.uow() as uow:
        await uow.session.execute(
            update(Webhook)
            .where(Webhook.transmission_id == tid)
            .values(result=result, processed_at=utcnow())
        )
        await uow.commit()
    return result


async def _act(payments: Payments, event_type: str, body: dict[str, Any]) -> str:
    data = body.get("data")
    if event_type == STATUS_CHANGED and isinstance(data, dict):
        payment_key = data.get("paymentKey")
        if not isinstance(payment_key, str):
            return "malformed"
        return await _status_changed(payments, await payments.toss.payment(payment_key))
    if event_type == DEPOSIT_CALLBACK:
        return await _deposit(payments, body)
    log.info("webhook_ignored", event_type=event_type)
    return "ignored"


async def _status_changed(payments: Payments, toss: TossPayment) -> str:
    """TossPayments says (when asked) what the payment is; an open or unknown one of ours is
    handed to the reconciler at once."""
    async with payments.uow() as uow:
        records = PaymentRecords(uow.session)
        row = await records.get(toss.order_id, lock=True)
        if row is None:
            if not toss.done:
                return "unknown_order"
            # Money taken for an order we never confirmed: settle it like any lost answer.
            uow.session.add(
                Payment(
                    order_id=toss.order_id, user_id=None, payment_key=toss.payment_key,
                    amount=toss.total_amount, state=PaymentState.UNKNOWN.value,
                    cancels=[], next_attempt_at=utcnow(),
                )
            )  # fmt: skip
            result = "adopted"
        elif toss.done and row.state == PaymentState.FAILED:
            row.state = PaymentState.UNKNOWN.value
            row.next_attempt_at = utcnow()
            result = "reopened"
        elif toss.fully_canceled and await record_canceled_at_toss(
            uow.session, Snapshot.of(row), toss
        ):
            # Cancelled outside Tiketi after we approved it: refunded; booking voids the
            # reservation (a confirmation still running re-announces it, see settle.attach).
            result = "canceled_at_toss"
        elif PaymentState(row.state).open:
            row.next_attempt_at = utcnow()
            result = "nudged"
        else:
            if toss.status != row.toss_status:
                log.warning(
                    "payment_changed_at_toss", order_id=row.order_id, ours=row.state,
                    toss=toss.status,
                )  # fmt: skip
            result = "noted"
        await uow.commit()
    if result in ("adopted", "reopened", "nudged"):
        payments.wake.set()
    return result


async def _deposit(payments: Payments, body: dict[str, Any]) -> str:
    """A virtual account's deposit: only with the payment's own secret, then the reconciler
    reads the payment from TossPayments."""
    order_id, secret = body.get("orderId"), body.get("secret")
    if not isinstance(order_id, str) or not isinstance(secret, str):
        return "malformed"
    async with payments.uow() as uow:
        row = await PaymentRecords(uow.session).get(order_id, lock=True)
        if row is None or row.secret is None:
            return "unknown_order"
        if not hmac.compare_digest(row.secret.encode(), secret.encode()):
            log.warning("deposit_secret_mismatch", order_id=order_id)
            return "bad_secret"
        if PaymentState(row.state).open:
            row.next_attempt_at = utcnow()
        await uow.commit()
    payments.wake.set()
    return "nudged"

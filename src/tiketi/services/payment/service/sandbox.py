"""The sandbox's use cases: TossPayments' core API and the widget stand-in, over its own store."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from tiketi.services.payment.adapters.orm import SandboxPayment
from tiketi.services.payment.adapters.sandbox import (
    SandboxStore,
    expired,
    new_payment_key,
    new_transaction_key,
    payment_json,
)
from tiketi.services.payment.domain.models import TossStatus, valid_order_id
from tiketi.services.payment.domain.sandbox import (
    SandboxError,
    SandboxOutcome,
    invalid,
    not_found_payment,
    plan_cancel,
    plan_confirm,
    unauthorized,
)
from tiketi.services.payment.service.common import Sandbox, utcnow

Answer = tuple[int, dict[str, Any]]


def check_secret(sandbox: Sandbox, given: str | None) -> str:
    """The caller's secret key when it is the sandbox's, else 401 UNAUTHORIZED_KEY."""
    expected = sandbox.settings.sandbox_secret_key.get_secret_value()
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise unauthorized()
    return given


@dataclass(frozen=True)
class WindowRequest:
    """What the widget stand-in is asked: an order to pay and the fault to play."""

    order_id: str
    order_name: str
    amount: int
    outcome: str = SandboxOutcome.SUCCESS.value
    fail_times: int = 1
    method: str = "카드"


async def open_window(*, sandbox: Sandbox, request: WindowRequest) -> dict[str, Any]:
    """A new payment window (TossPayments: the widget's payment request): IN_PROGRESS."""
    if not valid_order_id(request.order_id):
        raise invalid("orderId는 6자 이상 64자 이하의 영문 대소문자, 숫자, -, _ 입니다.")
    if request.amount <= 0:
        raise invalid("결제 금액은 0보다 커야 합니다.")
    try:
        outcome = SandboxOutcome(request.outcome)
    except ValueError:
        raise invalid(f"알 수 없는 outcome: {request.outcome}") from None
    async with sandbox.uow() as uow:
        store = SandboxStore(uow.session)
        if await store.settled_for(request.order_id):
            raise SandboxError(
                400, "DUPLICATED_ORDER_ID", "이미 승인 및 취소가 진행된 중복된 주문번호 입니다."
            )
        row = SandboxPayment(
            payment_key=new_payment_key(),
            order_id=request.order_id,
            order_name=request.order_name,
            amount=request.amount,
            balance_amount=request.amount,
            status=TossStatus.IN_PROGRESS.value,
            method=request.method,
            outcome=outcome.value,
            failures_left=request.fail_times if outcome is SandboxOutcome.PROVIDER_ERROR else 0,
            cancels=[],
            requested_at=utcnow(),
        )
        await store.add(row)
        await uow.commit()
    return payment_json(row)


def _hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _scoped(operation: str, secret: str, key: str) -> str:
    # Keys belong to one merchant's secret key and one operation, as TossPayments keeps them.
    return f"{operation}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}:{key}"


async def confirm(
    *, sandbox: Sandbox, secret: str, body: dict[str, Any], idempotency_key: str | None
) -> Answer:
    """POST /v1/payments/confirm: approve, refuse, or play the payment's fault."""
    payment_key, order_id, amount = _confirm_fields(body)
    key = _scoped("confirm", secret, idempotency_key) if idempotency_key else None
    request_hash = _hash(body)
    async with sandbox.uow() as uow:
        store = SandboxStore(uow.session)
        # The payment's row lock first: a repeat of a key waits for the first request's answer.
        row = await store.by_key(payment_key, lock=True)
        if key is not None:
            replay = await _replay(store, key, request_hash)
            if replay is not None:
                return replay
        if row is None:
            raise SandboxError(
                404,
                "NOT_FOUND_PAYMENT_SESSION",
                "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.",
            )
        now = utcnow()
        plan = plan_confirm(
            status=row.status, outcome=row.outcome, failures_left=row.failures_left,
            amount=row.amount, asked_amount=amount, order_id=row.order_id,
            asked_order_id=order_id,
            expired=expired(row, now, sandbox.settings.sandbox_session_seconds),
        )  # fmt: skip
        row.outcome = plan.outcome_after
        row.failures_left = plan.failures_left
        if plan.abort:
            row.status = TossStatus.ABORTED.value
        if plan.approve:
            row.status = TossStatus.DONE.value
            row.approved_at = now
            row.last_transaction_key = new_transaction_key()
        answer: Answer = (
            (200, payment_json(row))
            if plan.error is None
            else (plan.error.status, plan.error.body())
        )
        # Transient answers are not remembered: a repeat must really be tried again.
        transient = plan.answer_500 or (
            plan.error is not None and plan.error.code == "PROVIDER_ERROR"
        )
        if key is not None and not transient:
            await store.remember(key, request_hash=request_hash, status=answer[0], body=answer[1])
        await uow.commit()
    if plan.sleep:
        await asyncio.sleep(sandbox.settings.sandbox_slow_seconds)
    if plan.answer_500:
        return 500, {
            "code": "FAILED_INTERNAL_SYSTEM_PROCESSING",
            "message": "내부 시스템 처리 작업이 실패했습니다.",
        }
    return answer


def _confirm_fields(body: dict[str, Any]) -> tuple[str, str, int]:
    payment_key, order_id, amount = body.get("paymentKey"), body.get("orderId"), body.get("amount")
    if not isinstance(payment_key, str) or not isinstance(order_id, str):
        raise invalid("paymentKey와 orderId는 필수입니다.")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise invalid("amount는 정수여야 합니다.")
    return payment_key, order_id, amount


async def _replay(store: SandboxStore, key: str, request_hash: str) -> Answer | None:
    seen = await store.remembered(key)
    if seen is None:
        return None
    if seen.request_hash != request_hash:
        raise invalid("같은 멱등키로 다른 요청을 보낼 수 없습니다.")
    return seen.status_code, seen.body


async def payment(*, sandbox: Sandbox, payment_key: str) -> dict[str, Any]:
    """GET /v1/payments/{paymentKey}."""
    async with sandbox.uow() as uow:
        row = await SandboxStore(uow.session).by_key(payment_key)
        if row is None:
            raise not_found_payment()
        return payment_json(row)


async def payment_by_order(*, sandbox: Sandbox, order_id: str) -> dict[str, Any]:
    """GET /v1/payments/orders/{orderId}."""
    async with sandbox.uow() as uow:
        row = await SandboxStore(uow.session).by_order(order_id)
        if row is None:
            raise not_found_payment()
        return payment_json(row)


async def cancel(
    *,
    sandbox: Sandbox,
    secret: str,
    payment_key: str,
    body: dict[str, Any],
    idempotency_key: str | None,
) -> Answer:
    """POST /v1/payments/{paymentKey}/cancel: in full, or `cancelAmount`."""
    reason = body.get("cancelReason")
    asked = body.get("cancelAmount")
    if not isinstance(reason, str) or not reason.strip():
        raise invalid("cancelReason은 필수입니다.")
    if asked is not None and (isinstance(asked, bool) or not isinstance(asked, int)):
        raise invalid("cancelAmount는 정수여야 합니다.")
    key = _scoped(f"cancel:{payment_key}", secret, idempotency_key) if idempotency_key else None
    request_hash = _hash(body)
    async with sandbox.uow() as uow:
        store = SandboxStore(uow.session)
        row = await store.by_key(payment_key, lock=True)
        if key is not None:
            replay = await _replay(store, key, request_hash)
            if replay is not None:
                return replay
        if row is None:
            raise not_found_payment()
        amount, after = plan_cancel(status=row.status, balance=row.balance_amount, asked=asked)
        transaction = new_transaction_key()
        row.cancels = [
            *row.cancels,
            {
                "transactionKey": transaction,
                "cancelReason": reason[:200],
                "cancelAmount": amount,
                "taxFreeAmount": 0,
                "refundableAmount": row.balance_amount - amount,
                "canceledAt": utcnow().isoformat(timespec="seconds"),
                "cancelStatus": "DONE",
            },
        ]
        row.balance_amount -= amount
        row.status = after
        row.last_transaction_key = transaction
        answer: Answer = (200, payment_json(row))
        if key is not None:
            await store.remember(key, request_hash=request_hash, status=200, body=answer[1])
        await uow.commit()
    return answer

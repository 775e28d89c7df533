"""Payment rules without I/O: TossPayments' error codes, the sandbox's faults, keys, settings."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tiketi.kernel.settings import InsecureSettingsError, PlatformSettings
from tiketi.services.payment.adapters.toss import basic_auth
from tiketi.services.payment.domain.models import (
    TossErrorKind,
    TossPayment,
    classify_toss_error,
    idempotency_key,
    retry_delay,
    valid_order_id,
)
from tiketi.services.payment.domain.sandbox import SandboxError, plan_cancel, plan_confirm
from tiketi.services.payment.module import build
from tiketi.services.payment.settings import PaymentSettings


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "PROVIDER_ERROR", TossErrorKind.RETRYABLE),
        (500, "FAILED_INTERNAL_SYSTEM_PROCESSING", TossErrorKind.RETRYABLE),
        (503, "WHATEVER", TossErrorKind.RETRYABLE),
        (400, "ALREADY_PROCESSED_PAYMENT", TossErrorKind.ALREADY_PROCESSED),
        (403, "REJECT_CARD_PAYMENT", TossErrorKind.REJECTED),
        (403, "REJECT_CARD_COMPANY", TossErrorKind.REJECTED),
        (400, "EXCEED_MAX_DAILY_PAYMENT_COUNT", TossErrorKind.REJECTED),
        (404, "NOT_FOUND_PAYMENT_SESSION", TossErrorKind.SESSION_EXPIRED),
        (404, "NOT_FOUND_PAYMENT", TossErrorKind.NOT_FOUND),
        (401, "UNAUTHORIZED_KEY", TossErrorKind.UNAUTHORIZED),
        (400, "INVALID_REQUEST", TossErrorKind.INVALID),
    ],
)
def test_toss_errors_are_classified(status: int, code: str, kind: TossErrorKind) -> None:
    assert classify_toss_error(status, code) is kind


def test_basic_auth_and_idempotency_keys() -> None:
    assert basic_auth("test_sk_abc") == "Basic dGVzdF9za19hYmM6"  # base64("test_sk_abc:")
    key = idempotency_key("confirm", "ORDER-1", "tgen_1")
    assert key == idempotency_key("confirm", "ORDER-1", "tgen_1") and len(key) <= 300
    assert key != idempotency_key("confirm", "ORDER-1", "tgen_2")
    assert key != idempotency_key("cancel", "ORDER-1", "tgen_1")
    assert [retry_delay(n, ceiling=30) for n in (0, 1, 2, 10)] == [2.0, 4.0, 8.0, 30.0]
    assert valid_order_id("RABCDEF") and not valid_order_id("a/b/c/d") and not valid_order_id("x")


def test_payment_object_is_read() -> None:
    payment = TossPayment.from_json(
        {"paymentKey": "k", "orderId": "o", "status": "PARTIAL_CANCELED", "totalAmount": 100,
         "balanceAmount": 0, "approvedAt": "2026-01-01T10:00:00+09:00", "cancels": [{}],
         "receipt": {"url": "https://r"}}
    )  # fmt: skip
    assert payment.fully_canceled and not payment.done
    assert payment.receipt_url == "https://r" and payment.approved_at is not None


def _plan(**overrides: object) -> object:
    values: dict[str, object] = {
        "status": "IN_PROGRESS", "outcome": "success", "failures_left": 0, "amount": 100,
        "asked_amount": 100, "order_id": "o", "asked_order_id": "o", "expired": False,
    }  # fmt: skip
    values.update(overrides)
    return plan_confirm(**values)  # type: ignore[arg-type]


def test_sandbox_plays_each_fault() -> None:
    assert _plan().approve  # type: ignore[attr-defined]
    rejected = _plan(outcome="reject")
    assert rejected.error.code == "REJECT_CARD_PAYMENT" and rejected.abort  # type: ignore[attr-defined]
    flaky = _plan(outcome="provider_error", failures_left=2)
    assert flaky.error.code == "PROVIDER_ERROR" and flaky.failures_left == 1  # type: ignore[attr-defined]
    assert _plan(outcome="provider_error", failures_left=0).approve  # type: ignore[attr-defined]
    slow = _plan(outcome="slow")
    assert slow.approve and slow.sleep  # type: ignore[attr-defined]
    broken = _plan(outcome="approve_then_500")
    assert broken.approve and broken.answer_500 and broken.outcome_after == "success"  # type: ignore[attr-defined]
    assert _plan(status="DONE").error.code == "ALREADY_PROCESSED_PAYMENT"  # type: ignore[attr-defined]
    assert _plan(expired=True).error.code == "NOT_FOUND_PAYMENT_SESSION"  # type: ignore[attr-defined]
    assert _plan(asked_amount=99).error.code == "INVALID_REQUEST"  # type: ignore[attr-defined]


def test_sandbox_cancel_rules() -> None:
    assert plan_cancel(status="DONE", balance=100, asked=None) == (100, "CANCELED")
    assert plan_cancel(status="DONE", balance=100, asked=40) == (40, "PARTIAL_CANCELED")
    for status, asked in (("CANCELED", None), ("ABORTED", None), ("DONE", 101)):
        with pytest.raises(SandboxError):
            plan_cancel(status=status, balance=100, asked=asked)


def test_production_refuses_the_sandbox() -> None:
    production = PlatformSettings(env="production")
    with pytest.raises(InsecureSettingsError, match="TIKETI_TOSS_SECRET_KEY"):
        build(production, PaymentSettings())
    real = PaymentSettings(toss_secret_key=SecretStr("live_sk_generated"))
    assert not real.sandbox and real.secret_key() == "live_sk_generated"
    build(production, real)
    assert PaymentSettings().sandbox and PaymentSettings().secret_key().startswith("test_sk_")

"""The sandbox's rules: what a TossPayments-compatible gateway answers, and the faults it plays.

Pure: the store and the HTTP layer live in adapters/sandbox.py and api/sandbox.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from tiketi.services.payment.domain.models import TossStatus

KST = timezone(timedelta(hours=9))


class SandboxOutcome(StrEnum):
    """What the widget stand-in may ask the confirmation to do."""

    SUCCESS = "success"
    REJECT = "reject"  # REJECT_CARD_PAYMENT: nothing charged
    PROVIDER_ERROR = "provider_error"  # PROVIDER_ERROR `fail_times` times, then success
    SLOW = "slow"  # approve, then answer only after sleeping past the client's timeout
    APPROVE_THEN_500 = "approve_then_500"  # approve, then answer 500 once


class SandboxError(Exception):
    """A TossPayments error answer: HTTP status and `{code, message}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The error body exactly as TossPayments shapes it."""
        return {"code": self.code, "message": self.message}


def unauthorized() -> SandboxError:
    """A missing or wrong secret key."""
    return SandboxError(
        401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."
    )


def not_found_payment() -> SandboxError:
    """No payment with this key or order."""
    return SandboxError(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")


def invalid(message: str) -> SandboxError:
    """A request TossPayments refuses as such."""
    return SandboxError(400, "INVALID_REQUEST", message)


@dataclass(frozen=True)
class ConfirmPlan:
    """What a confirmation does: approve or not, how it answers, what is left of the fault."""

    approve: bool
    error: SandboxError | None = None
    abort: bool = False  # the payment ends ABORTED (a rejected card)
    failures_left: int = 0
    sleep: bool = False  # answer after sleeping (the approval is committed before)
    answer_500: bool = False  # approved, yet the answer is a 500
    outcome_after: str = SandboxOutcome.SUCCESS


def plan_confirm(
    *,
    status: str,
    outcome: str,
    failures_left: int,
    amount: int,
    asked_amount: int,
    order_id: str,
    asked_order_id: str,
    expired: bool,
) -> ConfirmPlan:
    """Decide a confirmation of a payment in `status` that asked for `outcome`."""
    if order_id != asked_order_id:
        return ConfirmPlan(False, invalid("주문번호가 결제 정보와 일치하지 않습니다."))
    if amount != asked_amount:
        return ConfirmPlan(False, invalid("결제 금액이 결제 요청 금액과 일치하지 않습니다."))
    if status in (TossStatus.DONE, TossStatus.CANCELED, TossStatus.PARTIAL_CANCELED):
        return ConfirmPlan(
            False, SandboxError(400, "ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다.")
        )
    if status == TossStatus.ABORTED or outcome == SandboxOutcome.REJECT:
        rejected = SandboxError(
            403, "REJECT_CARD_PAYMENT", "한도초과 혹은 잔액부족으로 결제에 실패했습니다."
        )
        return ConfirmPlan(False, rejected, abort=True, outcome_after=outcome)
    if expired or status == TossStatus.EXPIRED:
        return ConfirmPlan(
            False,
            SandboxError(
                404,
                "NOT_FOUND_PAYMENT_SESSION",
                "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.",
            ),
        )
    if outcome == SandboxOutcome.PROVIDER_ERROR and failures_left > 0:
        error = SandboxError(
            400, "PROVIDER_ERROR", "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요."
        )
        return ConfirmPlan(False, error, failures_left=failures_left - 1, outcome_after=outcome)
    return ConfirmPlan(
        True,
        sleep=outcome == SandboxOutcome.SLOW,
        answer_500=outcome == SandboxOutcome.APPROVE_THEN_500,
        # A slow gateway stays slow; a 500 after approval happens once.
        outcome_after=SandboxOutcome.SLOW if outcome == SandboxOutcome.SLOW else "success",
    )


def plan_cancel(*, status: str, balance: int, asked: int | None) -> tuple[int, str]:
    """The amount a cancellation takes back and the status after it, or raise SandboxError."""
    if status == TossStatus.CANCELED:
        raise SandboxError(400, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.")
    if status not in (TossStatus.DONE, TossStatus.PARTIAL_CANCELED):
        raise SandboxError(403, "NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다.")
    amount = balance if asked is None else asked
    if amount <= 0 or amount > balance:
        raise SandboxError(400, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.")
    after = TossStatus.CANCELED if amount == balance else TossStatus.PARTIAL_CANCELED
    return amount, after.value


def toss_time(moment: datetime | None) -> str | None:
    """TossPayments' time format: ISO 8601 in Korea's offset, to the second."""
    if moment is None:
        return None
    return moment.astimezone(KST).isoformat(timespec="seconds")

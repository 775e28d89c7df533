"""Payment vocabulary: our states, TossPayments' payment object, and how its errors are read."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

ORDER_ID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


class PaymentState(StrEnum):
    """Our side of a payment. Open states are the reconciler's until they end."""

    APPROVING = "approving"  # we asked TossPayments to approve; no answer yet
    UNKNOWN = "unknown"  # the answer was lost (timeout, 5xx): TossPayments knows
    APPROVED = "approved"  # TossPayments approved; booking has not confirmed yet
    CONFIRMED = "confirmed"  # approved and attached to a confirmed reservation
    FAILED = "failed"  # refused: nothing was charged
    REFUNDING = "refunding"  # approved, to be cancelled in full at TossPayments
    REFUNDED = "refunded"  # cancelled in full at TossPayments

    @property
    def open(self) -> bool:
        """True while the payment's end is not settled."""
        return self in OPEN_STATES


OPEN_STATES = frozenset(
    {PaymentState.APPROVING, PaymentState.UNKNOWN, PaymentState.APPROVED, PaymentState.REFUNDING}
)


class TossStatus(StrEnum):
    """TossPayments' payment statuses."""

    READY = "READY"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_FOR_DEPOSIT = "WAITING_FOR_DEPOSIT"
    DONE = "DONE"
    CANCELED = "CANCELED"
    PARTIAL_CANCELED = "PARTIAL_CANCELED"
    ABORTED = "ABORTED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class TossPayment:
    """The fields of a TossPayments payment object we keep."""

    payment_key: str
    order_id: str
    status: str
    total_amount: int
    balance_amount: int
    method: str | None = None
    approved_at: datetime | None = None
    cancels: list[dict[str, Any]] = field(default_factory=list)
    receipt_url: str | None = None
    secret: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TossPayment:
        """Read a payment object as TossPayments sends it (camelCase, ISO times)."""
        approved = data.get("approvedAt")
        receipt = data.get("receipt")
        cancels = data.get("cancels")
        total = int(data.get("totalAmount", 0))
        return cls(
            payment_key=str(data["paymentKey"]),
            order_id=str(data["orderId"]),
            status=str(data["status"]),
            total_amount=total,
            balance_amount=int(data.get("balanceAmount", total)),
            method=data.get("method"),
            approved_at=datetime.fromisoformat(approved) if approved else None,
            cancels=list(cancels) if isinstance(cancels, list) else [],
            receipt_url=receipt.get("url") if isinstance(receipt, Mapping) else None,
            secret=data.get("secret"),
        )

    @property
    def done(self) -> bool:
        """Approved and not cancelled: money is taken."""
        return self.status == TossStatus.DONE

    @property
    def fully_canceled(self) -> bool:
        """Cancelled in full: every won back."""
        return self.status == TossStatus.CANCELED or (
            self.status == TossStatus.PARTIAL_CANCELED and self.balance_amount == 0
        )


class TossErrorKind(StrEnum):
    """What an error answer of TossPayments means for us."""

    RETRYABLE = "retryable"  # try again with the same Idempotency-Key
    ALREADY_PROCESSED = "already_processed"  # look the payment up and carry on
    ALREADY_CANCELED = "already_canceled"  # look the payment up and carry on
    REJECTED = "rejected"  # the card or account refused: nothing charged
    SESSION_EXPIRED = "session_expired"  # the payment window's session is gone
    NOT_FOUND = "not_found"  # no such payment
    UNAUTHORIZED = "unauthorized"  # our key is wrong: an operator must act
    INVALID = "invalid"  # the request was refused as such: nothing charged


_EXACT: dict[str, TossErrorKind] = {
    "PROVIDER_ERROR": TossErrorKind.RETRYABLE,
    "FAILED_INTERNAL_SYSTEM_PROCESSING": TossErrorKind.RETRYABLE,
    "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING": TossErrorKind.RETRYABLE,
    "UNKNOWN_PAYMENT_ERROR": TossErrorKind.RETRYABLE,
    "FAILED_CARD_COMPANY_RESPONSE": TossErrorKind.RETRYABLE,
    "IDEMPOTENT_REQUEST_PROCESSING": TossErrorKind.RETRYABLE,
    "ALREADY_PROCESSED_PAYMENT": TossErrorKind.ALREADY_PROCESSED,
    "ALREADY_CANCELED_PAYMENT": TossErrorKind.ALREADY_CANCELED,
    "NOT_FOUND_PAYMENT_SESSION": TossErrorKind.SESSION_EXPIRED,
    "NOT_FOUND_PAYMENT": TossErrorKind.NOT_FOUND,
    "UNAUTHORIZED_KEY": TossErrorKind.UNAUTHORIZED,
    "INVALID_API_KEY": TossErrorKind.UNAUTHORIZED,
    "INCORRECT_BASIC_AUTH_FORMAT": TossErrorKind.UNAUTHORIZED,
    "FDS_ERROR": TossErrorKind.REJECTED,
    "NOT_AVAILABLE_PAYMENT": TossErrorKind.REJECTED,
    "INVALID_PASSWORD": TossErrorKind.REJECTED,
    "BELOW_MINIMUM_AMOUNT": TossErrorKind.REJECTED,
    "INVALID_STOPPED_CARD": TossErrorKind.REJECTED,
}
_REJECTED_PREFIXES = ("REJECT_", "INVALID_CARD", "EXCEED_MAX")


def classify_toss_error(status: int, code: str) -> TossErrorKind:
    """Read a TossPayments error answer: its code first, then its HTTP status."""
    kind = _EXACT.get(code)
    if kind is not None:
        return kind
    if code.startswith(_REJECTED_PREFIXES):
        return TossErrorKind.REJECTED
    if status >= 500 or status == 429:
        return TossErrorKind.RETRYABLE
    if status == 401:
        return TossErrorKind.UNAUTHORIZED
    if status == 404:
        return TossErrorKind.NOT_FOUND
    return TossErrorKind.INVALID


class TossFailure(Exception):
    """TossPayments answered with an error it means (after any safe retries)."""

    def __init__(self, kind: TossErrorKind, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.kind = kind
        self.code = code
        self.message = message
        self.status = status


class TossUnreachable(Exception):
    """No answer from TossPayments after every safe attempt: the outcome is unknown."""


def idempotency_key(operation: str, order_id: str, payment_key: str) -> str:
    """A stable Idempotency-Key per operation on one payment (TossPayments allows 300 chars)."""
    digest = hashlib.sha256(f"{order_id}\n{payment_key}".encode()).hexdigest()[:40]
    return f"tiketi-{operation}-{order_id}-{digest}"


def retry_delay(attempts: int, *, base: float = 2.0, ceiling: float = 300.0) -> float:
    """The reconciler's back-off before its next look at a payment: 2, 4, 8, … seconds."""
    return float(min(ceiling, base * 2 ** max(0, min(attempts, 20))))


def valid_order_id(value: str) -> bool:
    """An orderId as TossPayments accepts it: 6–64 of A–Z a–z 0–9 _ -."""
    return bool(ORDER_ID.match(value))

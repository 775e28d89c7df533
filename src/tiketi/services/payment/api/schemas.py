"""Request and response bodies of the payments endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from tiketi.services.payment.service.confirm import ConfirmedPayment
from tiketi.services.payment.service.reads import PaymentView

ORDER_ID_PATTERN = r"^[A-Za-z0-9_-]{6,64}$"


class ErrorBody(BaseModel):
    """The error's code, message and details."""

    code: str
    message: str
    details: dict[str, object]


class ErrorRead(BaseModel):
    """Every failure's body."""

    error: ErrorBody


class PaymentConfirm(BaseModel):
    """What the success URL gave the page: TossPayments' paymentKey, our orderId, the amount."""

    model_config = ConfigDict(extra="forbid")

    payment_key: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")
    order_id: str = Field(pattern=ORDER_ID_PATTERN, description="The reservation's id.")
    amount: StrictInt = Field(gt=0, description="KRW, an integer; must equal the reservation's.")


class ConfirmRead(BaseModel):
    """A payment approved and attached to its now confirmed reservation."""

    order_id: str
    payment_key: str
    status: Literal["DONE"] = "DONE"
    method: str | None
    amount: int
    approved_at: datetime | None
    reservation_status: Literal["confirmed"] = "confirmed"

    @classmethod
    def of(cls, payment: ConfirmedPayment) -> ConfirmRead:
        """From the use case's result."""
        return cls(
            order_id=payment.order_id,
            payment_key=payment.payment_key,
            method=payment.method,
            amount=payment.amount,
            approved_at=payment.approved_at,
        )


class PaymentRead(BaseModel):
    """A payment; `status` is TossPayments' (DONE, CANCELED, ABORTED, …), `state` ours."""

    order_id: str
    payment_key: str
    status: str
    state: Literal[
        "approving", "unknown", "approved", "confirmed", "failed", "refunding", "refunded"
    ]
    method: str | None
    amount: int
    approved_at: datetime | None
    cancels: list[dict[str, Any]]
    receipt_url: str | None = None
    failure_code: str | None = None
    refund_reason: str | None = None

    @classmethod
    def of(cls, view: PaymentView) -> PaymentRead:
        """From the use case's view."""
        return cls(**view.__dict__)


class WebhookAck(BaseModel):
    """A webhook was stored (and acted on, or ignored)."""

    ok: bool = True
    result: str

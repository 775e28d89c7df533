"""Events the payment service publishes: a payment approved (and attached), a payment refunded.

`reservation_id` is the reservation's id, which is also the TossPayments orderId. Money is an
integer in KRW.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from tiketi.contracts.events import IntegrationEvent, register


class PaymentFact(IntegrationEvent):
    """What every payment event says: which order, which TossPayments payment, how much."""

    reservation_id: str
    payment_key: str
    # None for a payment the platform learnt of from TossPayments alone (a webhook).
    user_id: str | None = None
    amount: int
    currency: Literal["KRW"] = "KRW"


@register
class PaymentApproved(PaymentFact):
    """TossPayments approved the payment and booking confirmed its reservation."""

    event_type: ClassVar[str] = "PaymentApproved"
    version: ClassVar[int] = 1

    method: str | None = None
    approved_at: datetime | None = None


@register
class PaymentRefunded(PaymentFact):
    """The payment was cancelled in full at TossPayments: the money went back to the payer."""

    event_type: ClassVar[str] = "PaymentRefunded"
    version: ClassVar[int] = 1

    # "customer" / "event_canceled" (booking asked), "seats_gone" (a late payment whose seats
    # were sold), "not_confirmable" (the reservation could not take the payment),
    # "payment_canceled" (cancelled at TossPayments itself: booking voids the reservation).
    reason: str

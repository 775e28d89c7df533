"""Reading a payment: its owner or an admin sees it as TossPayments' statuses say."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tiketi.kernel.tokens import Principal
from tiketi.services.payment.domain.errors import PaymentNotFound
from tiketi.services.payment.domain.models import PaymentState, TossStatus
from tiketi.services.payment.service.common import Payments
from tiketi.services.payment.service.settle import load

# Before TossPayments told us anything, our state says what its status would be.
_STATUS_OF_STATE = {
    PaymentState.APPROVING: TossStatus.IN_PROGRESS,
    PaymentState.UNKNOWN: TossStatus.IN_PROGRESS,
    PaymentState.FAILED: TossStatus.ABORTED,
}


@dataclass(frozen=True)
class PaymentView:
    """A payment as its owner sees it."""

    order_id: str
    payment_key: str
    status: str
    state: str
    method: str | None
    amount: int
    approved_at: datetime | None
    cancels: list[dict[str, Any]]
    receipt_url: str | None
    failure_code: str | None
    refund_reason: str | None


async def get_payment(*, payments: Payments, principal: Principal, order_id: str) -> PaymentView:
    """The order's payment, for its owner or an admin (others get 404)."""
    row = await load(payments, order_id)
    if row is None:
        raise PaymentNotFound()
    if principal.role != "admin" and (row.user_id is None or str(row.user_id) != _id(principal)):
        raise PaymentNotFound()
    state = PaymentState(row.state)
    status = row.toss_status or _STATUS_OF_STATE.get(state, TossStatus.IN_PROGRESS).value
    return PaymentView(
        order_id=row.order_id,
        payment_key=row.payment_key,
        status=status,
        state=state.value,
        method=row.method,
        amount=row.amount,
        approved_at=row.approved_at,
        cancels=list(row.cancels or []),
        receipt_url=row.receipt_url,
        failure_code=row.failure_code,
        refund_reason=row.refund_reason,
    )


def _id(principal: Principal) -> str:
    try:
        return str(uuid.UUID(principal.id))
    except ValueError:
        return principal.id

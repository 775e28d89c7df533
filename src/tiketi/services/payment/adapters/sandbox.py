"""The sandbox's store (tables in the payment schema) and TossPayments' payment object shape."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.services.payment.adapters.orm import SandboxIdempotency, SandboxPayment
from tiketi.services.payment.domain.models import TossStatus
from tiketi.services.payment.domain.sandbox import toss_time

# Statuses an order keeps for good: a new payment window for the order is refused after them.
SETTLED = (TossStatus.DONE.value, TossStatus.CANCELED.value, TossStatus.PARTIAL_CANCELED.value)


def new_payment_key() -> str:
    """A paymentKey shaped like TossPayments' (tgen_ + random)."""
    return "tgen_" + secrets.token_hex(16)


def new_transaction_key() -> str:
    """A transaction key for an approval or a cancellation."""
    return secrets.token_hex(16)


def payment_json(row: SandboxPayment, *, base_url: str = "") -> dict[str, Any]:
    """The payment as TossPayments' API (version 2022-11-16) shows it."""
    charged = row.approved_at is not None
    vat = round(row.balance_amount / 11)
    failure = None
    if row.status == TossStatus.ABORTED:
        failure = {
            "code": "REJECT_CARD_PAYMENT",
            "message": "한도초과 혹은 잔액부족으로 결제에 실패했습니다.",
        }
    return {
        "mId": "tiketi_sandbox",
        "version": "2022-11-16",
        "paymentKey": row.payment_key,
        "orderId": row.order_id,
        "orderName": row.order_name,
        "type": "NORMAL",
        "status": row.status,
        "method": row.method,
        "currency": "KRW",
        "country": "KR",
        "totalAmount": row.amount,
        "balanceAmount": row.balance_amount,
        "suppliedAmount": row.balance_amount - vat,
        "vat": vat,
        "taxFreeAmount": 0,
        "taxExemptionAmount": 0,
        "requestedAt": toss_time(row.requested_at),
        "approvedAt": toss_time(row.approved_at),
        "useEscrow": False,
        "cultureExpense": False,
        "isPartialCancelable": True,
        "lastTransactionKey": row.last_transaction_key,
        "card": _card(row) if charged else None,
        "virtualAccount": None,
        "transfer": None,
        "mobilePhone": None,
        "giftCertificate": None,
        "cashReceipt": None,
        "cashReceipts": None,
        "discount": None,
        "easyPay": None,
        "secret": None,
        "cancels": list(row.cancels) or None,
        "failure": failure,
        "receipt": {"url": f"{base_url}/sandbox/toss/receipt/{row.payment_key}"}
        if charged
        else None,
        "checkout": {"url": f"{base_url}/sandbox/toss/widget?orderId={row.order_id}"},
    }


def _card(row: SandboxPayment) -> dict[str, Any]:
    return {
        "issuerCode": "71",
        "acquirerCode": "71",
        "number": "43301234****123*",
        "installmentPlanMonths": 0,
        "isInterestFree": False,
        "approveNo": row.payment_key[-8:],
        "cardType": "신용",
        "ownerType": "개인",
        "acquireStatus": "READY",
        "amount": row.amount,
    }


class SandboxStore:
    """The sandbox's tables inside one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, payment: SandboxPayment) -> None:
        """Store a new payment window's payment."""
        self.session.add(payment)
        await self.session.flush()

    async def by_key(self, payment_key: str, *, lock: bool = False) -> SandboxPayment | None:
        """The payment with this key."""
        query = select(SandboxPayment).where(SandboxPayment.payment_key == payment_key)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query.execution_options(populate_existing=True))

    async def by_order(self, order_id: str) -> SandboxPayment | None:
        """The order's payment: the settled one when there is one, else the latest window."""
        settled_first = case((SandboxPayment.status.in_(SETTLED), 0), else_=1)
        return await self.session.scalar(
            select(SandboxPayment)
            .where(SandboxPayment.order_id == order_id)
            .order_by(settled_first, SandboxPayment.requested_at.desc())
            .limit(1)
        )

    async def settled_for(self, order_id: str) -> bool:
        """True when the order was already paid (or paid and cancelled)."""
        found = await self.session.scalar(
            select(SandboxPayment.payment_key)
            .where(SandboxPayment.order_id == order_id, SandboxPayment.status.in_(SETTLED))
            .limit(1)
        )
        return found is not None

    async def remembered(self, key: str) -> SandboxIdempotency | None:
        """The first answer given to an Idempotency-Key."""
        return await self.session.get(SandboxIdempotency, key)

    async def remember(
        self, key: str, *, request_hash: str, status: int, body: dict[str, Any]
    ) -> None:
        """Keep the answer to an Idempotency-Key (the first one wins)."""
        await self.session.execute(
            insert(SandboxIdempotency)
            .values(key=key, request_hash=request_hash, status_code=status, body=body)
            .on_conflict_do_nothing(index_elements=[SandboxIdempotency.key])
        )


def expired(row: SandboxPayment, now: datetime, session_seconds: int) -> bool:
    """A payment window not confirmed within the session's lifetime is gone."""
    return (now - row.requested_at).total_seconds() > session_seconds

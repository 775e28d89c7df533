"""Payment rows: claiming an order's confirmation, conditional state changes, reconciler leases.

Every change of state is conditional on the state it leaves (`WHERE state IN …`), so a
confirmation, the reconciler, a webhook and a refund request can race on one payment and each
change happens at most once. A lease (`lease_until`) says someone is working on the payment
without holding a database lock across calls to TossPayments or booking.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.services.payment.adapters.orm import Payment
from tiketi.services.payment.domain.models import OPEN_STATES, PaymentState, TossPayment

# A confirmation may take over the payment again from these states, with the same paymentKey.
_RESUMABLE = (PaymentState.APPROVING, PaymentState.UNKNOWN, PaymentState.APPROVED)


def toss_fields(payment: TossPayment) -> dict[str, Any]:
    """The columns that mirror TossPayments' payment object."""
    return {
        "toss_status": payment.status,
        "method": payment.method,
        "approved_at": payment.approved_at,
        "balance_amount": payment.balance_amount,
        "cancels": payment.cancels,
        "receipt_url": payment.receipt_url,
        "secret": payment.secret,
    }


class PaymentRecords:
    """The `payment.payments` table inside one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, order_id: str, *, lock: bool = False) -> Payment | None:
        """The order's payment row."""
        query = select(Payment).where(Payment.order_id == order_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query.execution_options(populate_existing=True))

    async def claim(
        self,
        *,
        order_id: str,
        user_id: uuid.UUID | None,
        payment_key: str,
        amount: int,
        now: datetime,
        lease_until: datetime,
    ) -> Payment | None:
        """Take the order's confirmation: a new row, a failed attempt's row (a new try), or an
        unfinished one with the same paymentKey whose lease ran out. None: someone has it."""
        table = Payment.__table__
        stmt = insert(Payment).values(
            order_id=order_id,
            user_id=user_id,
            payment_key=payment_key,
            amount=amount,
            state=PaymentState.APPROVING.value,
            lease_until=lease_until,
            next_attempt_at=lease_until,
        )
        excluded = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.order_id],
            set_={
                "payment_key": excluded.payment_key,
                "amount": excluded.amount,
                "state": func.coalesce(
                    func.nullif(table.c.state, PaymentState.FAILED.value),
                    PaymentState.APPROVING.value,
                ),
                "lease_until": excluded.lease_until,
                "next_attempt_at": excluded.next_attempt_at,
                "failure_code": None,
                "failure_message": None,
                "user_id": func.coalesce(table.c.user_id, excluded.user_id),
                "updated_at": func.now(),
            },
            where=or_(
                table.c.state == PaymentState.FAILED.value,
                (table.c.state.in_([s.value for s in _RESUMABLE]))
                & (table.c.payment_key == excluded.payment_key)
                & (or_(table.c.lease_until.is_(None), table.c.lease_until < now)),
            ),
        )
        result = await self.session.scalars(
            stmt.returning(Payment), execution_options={"populate_existing": True}
        )
        return result.one_or_none()

    async def move(
        self, order_id: str, *, from_states: Iterable[PaymentState], **values: Any
    ) -> bool:
        """Change the payment if it is still in one of `from_states`; True when it was."""
        result = await self.session.execute(
            update(Payment)
            .where(
                Payment.order_id == order_id,
                Payment.state.in_([state.value for state in from_states]),
            )
            .values(updated_at=func.now(), **values)
            .returning(Payment.order_id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    async def lease_open(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[Payment]:
        """Lease up to `limit` open payments that are due and that nobody is working on."""
        due = (
            select(Payment.order_id)
            .where(
                Payment.state.in_([state.value for state in OPEN_STATES]),
                Payment.next_attempt_at <= now,
                or_(Payment.lease_until.is_(None), Payment.lease_until < now),
            )
            .order_by(Payment.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.session.scalars(
            update(Payment)
            .where(Payment.order_id.in_(due.scalar_subquery()))
            .values(lease_until=lease_until, attempts=Payment.attempts + 1)
            .returning(Payment)
            .execution_options(synchronize_session=False),
            execution_options={"populate_existing": True},
        )
        return list(result.all())

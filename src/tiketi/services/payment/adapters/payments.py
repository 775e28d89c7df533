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
from typing import Any, TypeAlias, cast

from sqlalchemy import ClauseElement, Row, Table, Update, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.services.payment.adapters.orm import Payment
from tiketi.services.payment.domain.models import OPEN_STATES, PaymentState, TossPayment

# A confirmation may take over the payment again from these states, with the same paymentKey.
_RESUMABLE = (PaymentState.APPROVING, PaymentState.UNKNOWN, PaymentState.APPROVED)
_TABLE = cast(Table, Payment.__table__)
# A payment row: an ORM object, or a statement's row of the table's columns (same names).
PaymentRow: TypeAlias = Payment | Row[Any]


def _claim_statement() -> Any:
    """The claim, built once: SQLAlchemy takes ~2 ms to build and key an INSERT … ON CONFLICT
    of this size, a prebuilt one's key is memoized (the parameters are bound per call)."""
    table = _TABLE
    stmt = insert(table).values(
        order_id=bindparam("order_id", type_=table.c.order_id.type),
        user_id=bindparam("user_id", type_=table.c.user_id.type),
        payment_key=bindparam("payment_key", type_=table.c.payment_key.type),
        amount=bindparam("amount", type_=table.c.amount.type),
        state=PaymentState.APPROVING.value,
        lease_until=bindparam("lease_until", type_=table.c.lease_until.type),
        next_attempt_at=bindparam("lease_until", type_=table.c.next_attempt_at.type),
    )
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(
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
            & (
                or_(
                    table.c.lease_until.is_(None),
                    table.c.lease_until < bindparam("now", type_=table.c.lease_until.type),
                )
            ),
        ),
    ).returning(*table.c)


_CLAIM = _claim_statement()
# Conditional state changes, one prebuilt statement per (from states, columns set, returning).
_MOVES: dict[tuple[tuple[str, ...], tuple[str, ...], bool], Update] = {}


def _move_statement(states: tuple[str, ...], columns: tuple[str, ...], returning: bool) -> Update:
    key = (states, columns, returning)
    stmt = _MOVES.get(key)
    if stmt is None:
        table = _TABLE
        stmt = (
            update(table)
            .where(table.c.order_id == bindparam("w_order_id"), table.c.state.in_(states))
            .values(
                updated_at=func.now(),
                **{c: bindparam(f"v_{c}", type_=table.c[c].type) for c in columns},
            )
        )
        stmt = stmt.returning(*table.c) if returning else stmt.returning(table.c.order_id)
        _MOVES[key] = stmt
    return stmt


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
    ) -> Row[Any] | None:
        """Take the order's confirmation: a new row, a failed attempt's row (a new try), or an
        unfinished one with the same paymentKey whose lease ran out. None: someone has it.
        The row is the table's columns (named as Payment's attributes)."""
        result = await self.session.execute(
            _CLAIM,
            {
                "order_id": order_id,
                "user_id": user_id,
                "payment_key": payment_key,
                "amount": amount,
                "lease_until": lease_until,
                "now": now,
            },
        )
        return result.one_or_none()

    async def move(
        self, order_id: str, *, from_states: Iterable[PaymentState], **values: Any
    ) -> bool:
        """Change the payment if it is still in one of `from_states`; True when it was."""
        return await self._move(order_id, from_states, values, returning=False) is not None

    async def move_returning(
        self, order_id: str, *, from_states: Iterable[PaymentState], **values: Any
    ) -> Row[Any] | None:
        """`move`, giving the row as it now is (None when it was not in `from_states`)."""
        return await self._move(order_id, from_states, values, returning=True)

    async def _move(
        self,
        order_id: str,
        from_states: Iterable[PaymentState],
        values: dict[str, Any],
        *,
        returning: bool,
    ) -> Row[Any] | None:
        states = tuple(PaymentState(state).value for state in from_states)
        if any(isinstance(value, ClauseElement) for value in values.values()):
            stmt: Any = (
                update(_TABLE)
                .where(_TABLE.c.order_id == order_id, _TABLE.c.state.in_(states))
                .values(updated_at=func.now(), **values)
            )
            stmt = stmt.returning(*_TABLE.c) if returning else stmt.returning(_TABLE.c.order_id)
            return (await self.session.execute(stmt)).first()
        columns = tuple(sorted(values))
        params = {f"v_{column}": values[column] for column in columns}
        params["w_order_id"] = order_id
        stmt = _move_statement(states, columns, returning)
        return (await self.session.execute(stmt, params)).first()

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

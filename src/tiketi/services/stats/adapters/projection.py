"""The projection's writes: each one sets facts, so replays and reorderings change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.catalog import EventCanceled, EventPublished
from tiketi.contracts.payment import PaymentApproved, PaymentRefunded
from tiketi.services.stats.adapters.orm import (
    SCHEMA,
    TABLES,
    StatsEvent,
    StatsGrade,
    StatsPayment,
    StatsReservation,
)

_INSERT_SEATS = text(
    "INSERT INTO stats.seats (event_id, seat_id, grade)"
    " SELECT :event_id, s.seat_id, s.grade"
    " FROM unnest(CAST(:seat_ids AS bigint[]), CAST(:grades AS varchar[])) AS s(seat_id, grade)"
    " ON CONFLICT DO NOTHING"
)


class Projection:
    """Upserts into stats' tables, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def event_published(self, event: EventPublished) -> None:
        """The event, its grades and which grade each seat is in."""
        event_id = uuid.UUID(event.event_id)
        insert = pg_insert(StatsEvent).values(
            event_id=event_id,
            organizer_id=uuid.UUID(event.organizer_id),
            title=event.title,
            seat_count=event.seat_count,
            published_at=event.occurred_at,
        )
        # A cancellation seen first keeps its status; the seat count comes from here.
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[StatsEvent.event_id],
                set_={
                    "seat_count": insert.excluded.seat_count,
                    "published_at": insert.excluded.published_at,
                },
            )
        )
        if event.grades:
            grades = [
                {"event_id": event_id, "code": g.code, "name": g.name, "price": g.price,
                 "seat_count": g.seat_count}
                for g in event.grades
            ]  # fmt: skip
            await self.session.execute(
                pg_insert(StatsGrade).values(grades).on_conflict_do_nothing()
            )
        # One statement for the whole venue (up to 100,000 seats): two arrays, unnested.
        await self.session.execute(
            _INSERT_SEATS,
            {
                "event_id": event_id,
                "seat_ids": [seat.seat_id for seat in event.seats],
                "grades": [seat.grade for seat in event.seats],
            },
        )

    async def event_canceled(self, event: EventCanceled) -> None:
        """The event's sale stopped (its reservations are canceled by their own messages)."""
        insert = pg_insert(StatsEvent).values(
            event_id=uuid.UUID(event.event_id),
            organizer_id=uuid.UUID(event.organizer_id),
            title=event.title,
            status="canceled",
            canceled_at=event.occurred_at,
        )
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[StatsEvent.event_id],
                set_={
                    "status": "canceled",
                    "canceled_at": func.coalesce(
                        StatsEvent.canceled_at, insert.excluded.canceled_at
                    ),
                },
            )
        )

    async def reservation(
        self,
        *,
        reservation_id: str,
        event_id: str,
        seat_ids: Sequence[int],
        amount: int,
        fact: str,
        at: datetime,
    ) -> None:
        """Record that a reservation was created, confirmed or canceled (`fact`) at `at`."""
        column = {"created": "created_at", "confirmed": "confirmed_at", "canceled": "canceled_at"}[
            fact
        ]
        insert = pg_insert(StatsReservation).values(
            id=reservation_id,
            event_id=uuid.UUID(event_id),
            seat_ids=list(seat_ids),
            amount=amount,
            **{column: at},
        )
        table = StatsReservation.__table__
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[StatsReservation.id],
                set_={
                    "seat_ids": insert.excluded.seat_ids,
                    "amount": insert.excluded.amount,
                    column: func.coalesce(table.c[column], insert.excluded[column]),
                },
            )
        )

    async def seats_released(
        self, *, reservation_id: str, event_id: str, seat_ids: Sequence[int]
    ) -> None:
        """Some of a reservation's seats went back on sale (its hold ran out)."""
        insert = pg_insert(StatsReservation).values(
            id=reservation_id, event_id=uuid.UUID(event_id), released_seat_ids=list(seat_ids)
        )
        # A set union: the same release applied twice leaves the same set.
        union = text(
            "ARRAY(SELECT DISTINCT unnest(stats.reservations.released_seat_ids"
            " || excluded.released_seat_ids) ORDER BY 1)"
        )
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[StatsReservation.id], set_={"released_seat_ids": union}
            )
        )

    async def payment_approved(self, event: PaymentApproved) -> None:
        """A payment was approved and attached to its reservation."""
        insert = pg_insert(StatsPayment).values(
            payment_key=event.payment_key,
            reservation_id=event.reservation_id,
            amount=event.amount,
            approved_at=event.occurred_at,
        )
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[StatsPayment.payment_key],
                set_={
                    "amount": insert.excluded.amount,
                    "approved_at": func.coalesce(
                        StatsPayment.approved_at, insert.excluded.approved_at
                    ),
                },
            )
        )

    async def payment_refunded(self, event: PaymentRefunded) -> None:
        """A payment went back to its payer (counted only if it had been approved)."""
        insert = pg_insert(StatsPayment).values(
            payment_key=event.payment_key,
            reservation_id=event.reservation_id,
            refund_amount=event.amount,
            refunded_at=event.occurred_at,
        )
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[StatsPayment.payment_key],
                set_={
                    "refund_amount": insert.excluded.refund_amount,
                    "refunded_at": func.coalesce(
                        StatsPayment.refunded_at, insert.excluded.refunded_at
                    ),
                },
            )
        )

    async def clear(self) -> None:
        """Empty every fact table (a rebuild replays the streams into them)."""
        names = ", ".join(f"{SCHEMA}.{name}" for name in TABLES)
        await self.session.execute(text(f"TRUNCATE {names}"))

"""The projection's writes: each one sets facts, so replays and reorderings change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import TextClause, func, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.booking import SeatsHeld
from tiketi.contracts.catalog import EventCanceled, EventPublished
from tiketi.contracts.payment import PaymentApproved, PaymentRefunded
from tiketi.services.stats.adapters.orm import (
    SCHEMA,
    TABLES,
    StatsEvent,
    StatsGrade,
)

_INSERT_SEATS = text(
    "INSERT INTO stats.seats (event_id, seat_id, grade)"
    " SELECT :event_id, s.seat_id, s.grade"
    " FROM unnest(CAST(:seat_ids AS bigint[]), CAST(:grades AS varchar[])) AS s(seat_id, grade)"
    " ON CONFLICT DO NOTHING"
)

# The upserts of the hot path (a message each, thousands a minute in a sale) as SQL written
# once: building and cache-keying an ORM statement per message cost more than running it.
# Each only sets facts: first times kept (coalesce), seat sets grown by union.


def _reservation_upsert(column: str) -> TextClause:
    return text(
        f"""INSERT INTO stats.reservations
            (id, event_id, seat_ids, amount, user_id, expires_at, {column})
        VALUES (:id, :event_id, CAST(:seat_ids AS bigint[]), :amount, :user_id,
                :expires_at, :at)
        ON CONFLICT (id) DO UPDATE SET
            seat_ids = excluded.seat_ids, amount = excluded.amount,
            {column} = coalesce(stats.reservations.{column}, excluded.{column}),
            user_id = coalesce(stats.reservations.user_id, excluded.user_id),
            expires_at = coalesce(stats.reservations.expires_at, excluded.expires_at)"""  # noqa: S608
    )


_RESERVATION = {
    fact: _reservation_upsert(column)
    for fact, column in (
        ("created", "created_at"),
        ("confirmed", "confirmed_at"),
        ("canceled", "canceled_at"),
    )
}
_RESERVATION_RELEASED = text(
    """INSERT INTO stats.reservations (id, event_id, released_seat_ids)
    VALUES (:id, :event_id, CAST(:seat_ids AS bigint[]))
    ON CONFLICT (id) DO UPDATE SET released_seat_ids = ARRAY(SELECT DISTINCT unnest(
        stats.reservations.released_seat_ids || excluded.released_seat_ids) ORDER BY 1)"""
)
# A release read first keeps its seats; the hold's own facts fill in the rest.
_HOLD = text(
    """INSERT INTO stats.holds (hold_id, event_id, user_id, seat_ids, held_at, expires_at)
    VALUES (:id, :event_id, :user_id, CAST(:seat_ids AS bigint[]), :held_at, :expires_at)
    ON CONFLICT (hold_id) DO UPDATE SET user_id = excluded.user_id,
        seat_ids = excluded.seat_ids, held_at = excluded.held_at,
        expires_at = excluded.expires_at"""
)
_HOLD_RELEASED = text(
    """INSERT INTO stats.holds (hold_id, event_id, released_seat_ids)
    VALUES (:id, :event_id, CAST(:seat_ids AS bigint[]))
    ON CONFLICT (hold_id) DO UPDATE SET released_seat_ids = ARRAY(SELECT DISTINCT unnest(
        stats.holds.released_seat_ids || excluded.released_seat_ids) ORDER BY 1)"""
)
_PAYMENT_APPROVED = text(
    """INSERT INTO stats.payments (payment_key, reservation_id, amount, approved_at)
    VALUES (:key, :reservation_id, :amount, :at)
    ON CONFLICT (payment_key) DO UPDATE SET amount = excluded.amount,
        approved_at = coalesce(stats.payments.approved_at, excluded.approved_at)"""
)
_PAYMENT_REFUNDED = text(
    """INSERT INTO stats.payments (payment_key, reservation_id, refund_amount, refunded_at)
    VALUES (:key, :reservation_id, :amount, :at)
    ON CONFLICT (payment_key) DO UPDATE SET refund_amount = excluded.refund_amount,
        refunded_at = coalesce(stats.payments.refunded_at, excluded.refunded_at)"""
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
        user_id: str | None = None,
        expires_at: datetime | None = None,
    ) -> None:
        """Record that a reservation was created, confirmed or canceled (`fact`) at `at`."""
        await self.session.execute(
            _RESERVATION[fact],
            {
                "id": reservation_id,
                "event_id": uuid.UUID(event_id),
                "seat_ids": list(seat_ids),
                "amount": amount,
                "user_id": uuid.UUID(user_id) if user_id else None,
                "expires_at": expires_at,
                "at": at,
            },
        )

    async def seats_released(
        self, *, reservation_id: str, event_id: str, seat_ids: Sequence[int]
    ) -> None:
        """Some of a reservation's seats went back on sale (its hold ran out)."""
        await self.session.execute(
            _RESERVATION_RELEASED,
            {"id": reservation_id, "event_id": uuid.UUID(event_id), "seat_ids": list(seat_ids)},
        )

    async def seats_held(self, event: SeatsHeld) -> None:
        """A plain hold: its seats, whose, until when."""
        await self.session.execute(
            _HOLD,
            {
                "id": event.hold_id,
                "event_id": uuid.UUID(event.event_id),
                "user_id": uuid.UUID(event.user_id),
                "seat_ids": list(event.seat_ids),
                "held_at": event.occurred_at,
                "expires_at": event.expires_at,
            },
        )

    async def hold_released(self, *, hold_id: str, event_id: str, seat_ids: Sequence[int]) -> None:
        """Some of a hold's seats went back on sale (let go, or ran out)."""
        await self.session.execute(
            _HOLD_RELEASED,
            {"id": hold_id, "event_id": uuid.UUID(event_id), "seat_ids": list(seat_ids)},
        )

    async def payment_approved(self, event: PaymentApproved) -> None:
        """A payment was approved and attached to its reservation."""
        await self.session.execute(
            _PAYMENT_APPROVED,
            {"key": event.payment_key, "reservation_id": event.reservation_id,
             "amount": event.amount, "at": event.occurred_at},
        )  # fmt: skip

    async def payment_refunded(self, event: PaymentRefunded) -> None:
        """A payment went back to its payer (counted only if it had been approved)."""
        await self.session.execute(
            _PAYMENT_REFUNDED,
            {"key": event.payment_key, "reservation_id": event.reservation_id,
             "amount": event.amount, "at": event.occurred_at},
        )  # fmt: skip

    async def clear(self) -> None:
        """Empty every fact table (a rebuild replays the streams into them)."""
        names = ", ".join(f"{SCHEMA}.{name}" for name in TABLES)
        await self.session.execute(text(f"TRUNCATE {names}"))

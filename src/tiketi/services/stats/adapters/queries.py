"""The figures, computed from the facts when read (grouped SQL over one event or all)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.services.stats.adapters.orm import StatsEvent, StatsGrade, StatsReservation
from tiketi.services.stats.domain.figures import Counts, Grade, MinuteSales

# A reservation's seats are sold when it was confirmed and never canceled; held when it was
# created, neither confirmed nor canceled, minus the seats an expiry released.
_SOLD = "r.confirmed_at IS NOT NULL AND r.canceled_at IS NULL"
_HELD = "r.created_at IS NOT NULL AND r.confirmed_at IS NULL AND r.canceled_at IS NULL"
_FILTER = "(CAST(:event_id AS uuid) IS NULL OR r.event_id = CAST(:event_id AS uuid))"

# The f-strings only join this module's constant SQL fragments; values are bound parameters.
_SEATS = text(
    f"""
    SELECT r.event_id, s.grade,
           count(*) FILTER (WHERE {_SOLD}) AS sold,
           count(*) FILTER (WHERE {_HELD} AND NOT u.seat_id = ANY(r.released_seat_ids)) AS held
    FROM stats.reservations r
    CROSS JOIN LATERAL unnest(r.seat_ids) AS u(seat_id)
    LEFT JOIN stats.seats s ON s.event_id = r.event_id AND s.seat_id = u.seat_id
    WHERE {_FILTER} AND (({_SOLD}) OR ({_HELD}))
    GROUP BY r.event_id, s.grade
    """  # noqa: S608
)

# A plain hold's seats are held until released, unless its event was canceled (booking then
# releases every seat with one message naming no hold) or a reservation was made from it: a
# reservation of the same event and user with the same expiry (booking gives a reservation its
# hold's expiry), whose own facts count those seats from then on.
_HOLD_FILTER = "(CAST(:event_id AS uuid) IS NULL OR h.event_id = CAST(:event_id AS uuid))"
_HOLDS = text(
    f"""
    SELECT h.event_id, s.grade, count(*) AS held
    FROM stats.holds h
    CROSS JOIN LATERAL unnest(h.seat_ids) AS u(seat_id)
    LEFT JOIN stats.seats s ON s.event_id = h.event_id AND s.seat_id = u.seat_id
    WHERE {_HOLD_FILTER}
      AND NOT u.seat_id = ANY(h.released_seat_ids)
      AND NOT EXISTS (SELECT 1 FROM stats.events e
                      WHERE e.event_id = h.event_id AND e.status = 'canceled')
      AND NOT EXISTS (SELECT 1 FROM stats.reservations r
                      WHERE r.event_id = h.event_id AND r.user_id = h.user_id
                        AND r.expires_at = h.expires_at)
    GROUP BY h.event_id, s.grade
    """  # noqa: S608
)

# Revenue is what approved payments brought in, less those of them refunded; a refund of a
# payment never approved (a late one whose seats were gone) never counted as revenue.
_REVENUE = text(
    f"""
    SELECT r.event_id,
           coalesce(sum(p.amount), 0) - coalesce(sum(p.refund_amount)
               FILTER (WHERE p.refunded_at IS NOT NULL), 0) AS revenue
    FROM stats.payments p
    JOIN stats.reservations r ON r.id = p.reservation_id
    WHERE {_FILTER} AND p.approved_at IS NOT NULL
    GROUP BY r.event_id
    """  # noqa: S608
)

# Per minute: tickets sold (less those canceled) and revenue (less refunds) in that minute, so
# the lines add up to the totals.
_SALES = text(
    """
    WITH moves AS (
        SELECT date_trunc('minute', r.confirmed_at) AS minute,
               coalesce(cardinality(r.seat_ids), 0) AS tickets, 0::bigint AS revenue
        FROM stats.reservations r
        WHERE r.event_id = :event_id AND r.confirmed_at IS NOT NULL
        UNION ALL
        SELECT date_trunc('minute', r.canceled_at), -coalesce(cardinality(r.seat_ids), 0), 0
        FROM stats.reservations r
        WHERE r.event_id = :event_id AND r.confirmed_at IS NOT NULL
          AND r.canceled_at IS NOT NULL
        UNION ALL
        SELECT date_trunc('minute', p.approved_at), 0, coalesce(p.amount, 0)
        FROM stats.payments p JOIN stats.reservations r ON r.id = p.reservation_id
        WHERE r.event_id = :event_id AND p.approved_at IS NOT NULL
        UNION ALL
        SELECT date_trunc('minute', p.refunded_at), 0, -coalesce(p.refund_amount, 0)
        FROM stats.payments p JOIN stats.reservations r ON r.id = p.reservation_id
        WHERE r.event_id = :event_id AND p.approved_at IS NOT NULL
          AND p.refunded_at IS NOT NULL
    )
    SELECT minute, sum(tickets)::bigint AS tickets, sum(revenue)::bigint AS revenue
    FROM moves GROUP BY minute ORDER BY minute
    """
)


@dataclass(frozen=True)
class EventRow:
    """What stats knows of an event itself."""

    event_id: uuid.UUID
    organizer_id: uuid.UUID
    title: str
    status: str
    seat_count: int


class StatsQueries:
    """Reads over stats' tables."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def snapshot(self) -> None:
        """Make every later read of this transaction see one snapshot of the facts."""
        await self.session.execute(
            text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        )

    async def event(self, event_id: uuid.UUID) -> EventRow | None:
        """The event, if it was published or canceled."""
        row = await self.session.get(StatsEvent, event_id)
        if row is None:
            return None
        return EventRow(row.event_id, row.organizer_id, row.title, row.status, row.seat_count)

    async def event_of(self, reservation_id: str) -> uuid.UUID | None:
        """The event a reservation is for, if any of its messages was seen."""
        return await self.session.scalar(
            select(StatsReservation.event_id).where(StatsReservation.id == reservation_id)
        )

    async def events(self) -> list[EventRow]:
        """Every event, oldest publication first."""
        rows = await self.session.scalars(
            select(StatsEvent).order_by(StatsEvent.published_at, StatsEvent.event_id)
        )
        return [EventRow(r.event_id, r.organizer_id, r.title, r.status, r.seat_count) for r in rows]

    async def grades(self, event_id: uuid.UUID) -> list[Grade]:
        """The event's price classes."""
        rows = await self.session.scalars(select(StatsGrade).where(StatsGrade.event_id == event_id))
        return [Grade(r.code, r.name, r.price, r.seat_count) for r in rows]

    async def counts(self, event_id: uuid.UUID | None = None) -> dict[uuid.UUID, Counts]:
        """Sold, held and revenue per event (one event, or every one when None)."""
        params: dict[str, Any] = {"event_id": event_id}
        sold: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
        held: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
        for row in (await self.session.execute(_SEATS, params)).all():
            # A seat whose grade is unknown (its event not seen yet) counts under "".
            grade = row.grade or ""
            sold[row.event_id][grade] = int(row.sold)
            held[row.event_id][grade] = int(row.held)
        for row in (await self.session.execute(_HOLDS, params)).all():
            grade = row.grade or ""
            held[row.event_id][grade] = held[row.event_id].get(grade, 0) + int(row.held)
        revenue = {
            row.event_id: int(row.revenue)
            for row in (await self.session.execute(_REVENUE, params)).all()
        }
        return {
            eid: Counts(
                sold=sum(sold[eid].values()),
                held=sum(held[eid].values()),
                revenue=revenue.get(eid, 0),
                sold_by_grade=dict(sold[eid]),
                held_by_grade=dict(held[eid]),
            )
            for eid in set(sold) | set(held) | set(revenue)
        }

    async def sales(self, event_id: uuid.UUID) -> list[MinuteSales]:
        """Tickets and revenue per minute, oldest first."""
        rows = (await self.session.execute(_SALES, {"event_id": event_id})).all()
        return [
            MinuteSales(_minute(row.minute), int(row.tickets), int(row.revenue)) for row in rows
        ]


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)

"""Seat inventory statements. Hot paths are single SQL statements; repositories never commit.

Every statement that changes seats runs before the event row's version bump in its
transaction, so transactions take seat rows first and the event row last (no lock cycles).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.catalog import EventPublished
from tiketi.services.booking.adapters.orm import SCHEMA
from tiketi.services.booking.adapters.seats import FREE, SeatStatements
from tiketi.services.booking.domain.models import SeatView

_IDS = bindparam("ids", type_=ARRAY(BigInteger))

_CREATE_EVENT = text(
    f"""INSERT INTO {SCHEMA}.events (id, organizer_id, title, starts_at, ends_at, sale_opens_at,
        sale_closes_at, max_tickets_per_user, queue_enabled, queue_max_active,
        queue_admit_per_second, currency, seat_count)
    VALUES (:id, :organizer_id, :title, :starts_at, :ends_at, :sale_opens_at, :sale_closes_at,
        :max_tickets_per_user, :queue_enabled, :queue_max_active, :queue_admit_per_second,
        :currency, :seat_count)
    ON CONFLICT (id) DO NOTHING RETURNING id"""  # noqa: S608 - constants only
)
VERSION_LOCK_TIMEOUT_MS = 5000
_BUMP = text(
    f"UPDATE {SCHEMA}.events SET version = version + 1 WHERE id = :event_id RETURNING version"  # noqa: S608
)
_SNAPSHOT = (
    "SELECT seat_id, section, row, number, grade, price, status, hold_expires_at "  # noqa: S608
    f"FROM {SCHEMA}.seats WHERE event_id = $1 "
    "ORDER BY section_index, row_index, seat_index"
)
_COUNTS = text(
    f"""SELECT grade, count(*) FILTER (WHERE {FREE}) AS available,
        count(*) FILTER (WHERE status = 'held' AND hold_expires_at > now()) AS held,
        count(*) FILTER (WHERE status = 'sold') AS sold, count(*) AS total
    FROM {SCHEMA}.seats WHERE event_id = :event_id GROUP BY grade"""  # noqa: S608
)
_FREE_SEATS = (
    "status = 'available', hold_id = NULL, hold_expires_at = NULL, "
    "reservation_id = NULL, user_id = NULL"
)


def _view(row: Any) -> SeatView:
    seat_id, section, row_label, number, grade, price = row
    return SeatView(int(seat_id), section, row_label, number, grade, int(price))


@dataclass(frozen=True)
class GradeCount:
    """Seats of one grade by what a reader sees."""

    grade: str
    available: int
    held: int
    sold: int
    total: int


@dataclass(frozen=True)
class ExpiredSeat:
    """A seat the sweeper gave back, with whose hold it was."""

    event_id: uuid.UUID
    seat_id: int
    hold_id: uuid.UUID | None
    user_id: uuid.UUID | None
    reservation_id: str | None


class Inventory:
    """The seats of every event booking sells."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _driver(self) -> Any:
        """The asyncpg connection under the session (same connection, same transaction)."""
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        return raw.driver_connection

    async def create_event(self, event: EventPublished) -> bool:
        """The event's row and seats; False (and nothing written) when it already exists."""
        params = {
            "id": uuid.UUID(event.event_id),
            "organizer_id": uuid.UUID(event.organizer_id),
            "title": event.title,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "sale_opens_at": event.sale_opens_at,
            "sale_closes_at": event.sale_closes_at,
            "max_tickets_per_user": event.max_tickets_per_user,
            "queue_enabled": event.queue.enabled,
            "queue_max_active": event.queue.max_active,
            "queue_admit_per_second": event.queue.admit_per_second,
            "currency": event.currency,
            "seat_count": len(event.seats),
        }
        if (await self.session.execute(_CREATE_EVENT, params)).scalar() is None:
            return False
        event_id = params["id"]
        records = [
            (event_id, s.seat_id, s.section, s.row, s.number, s.section_index, s.row_index,
             s.seat_index, s.grade, s.price)
            for s in event.seats
        ]  # fmt: skip
        # COPY: 100,000 seats in one round trip, inside the session's transaction.
        await (await self._driver()).copy_records_to_table(
            "seats",
            schema_name=SCHEMA,
            columns=[
                "event_id", "seat_id", "section", "row", "number", "section_index",
                "row_index", "seat_index", "grade", "price",
            ],
            records=records,
        )  # fmt: skip
        return True

    async def set_lock_timeout(self, milliseconds: int) -> None:
        """Give up on row locks held longer than this, for the rest of the transaction."""
        await self.session.execute(text(f"SET LOCAL lock_timeout = '{int(milliseconds)}ms'"))

    async def statements(self) -> SeatStatements:
        """The hold path's statements on the session's connection (and transaction)."""
        return SeatStatements(await self._driver())

    async def release_hold(self, *, event_id: uuid.UUID, hold_id: uuid.UUID) -> list[int]:
        """Free the seats this hold still has (held, not yet sold); their ids."""
        rows = await self.session.execute(
            text(
                f"UPDATE {SCHEMA}.seats SET {_FREE_SEATS} WHERE event_id = :event_id "  # noqa: S608
                "AND hold_id = :hold_id AND status = 'held' RETURNING seat_id"
            ),
            {"event_id": event_id, "hold_id": hold_id},
        )
        return sorted(int(seat_id) for (seat_id,) in rows.all())

    async def release_reservation(
        self, *, event_id: uuid.UUID, reservation_id: str, hold_id: uuid.UUID
    ) -> list[int]:
        """Free the seats a reservation has (sold, or still held by its hold); their ids."""
        rows = await self.session.execute(
            text(
                f"UPDATE {SCHEMA}.seats SET {_FREE_SEATS} WHERE event_id = :event_id AND "  # noqa: S608
                "((status = 'sold' AND reservation_id = :reservation_id) "
                "OR (status = 'held' AND hold_id = :hold_id)) RETURNING seat_id"
            ),
            {"event_id": event_id, "reservation_id": reservation_id, "hold_id": hold_id},
        )
        return sorted(int(seat_id) for (seat_id,) in rows.all())

    async def attach_reservation(
        self, *, event_id: uuid.UUID, hold_id: uuid.UUID, reservation_id: str
    ) -> list[SeatView]:
        """Mark the hold's unexpired seats as this reservation's; those marked."""
        rows = await self.session.execute(
            text(
                f"UPDATE {SCHEMA}.seats SET reservation_id = :reservation_id "  # noqa: S608
                "WHERE event_id = :event_id AND hold_id = :hold_id AND status = 'held' "
                "AND hold_expires_at > now() "
                "RETURNING seat_id, section, row, number, grade, price"
            ),
            {"event_id": event_id, "hold_id": hold_id, "reservation_id": reservation_id},
        )
        return sorted((_view(row) for row in rows.all()), key=lambda seat: seat.id)

    async def seats(self, *, event_id: uuid.UUID, seat_ids: list[int]) -> list[SeatView]:
        """The named seats of an event, by id."""
        rows = await self.session.execute(
            text(
                "SELECT seat_id, section, row, number, grade, price "  # noqa: S608
                f"FROM {SCHEMA}.seats WHERE event_id = :event_id AND seat_id = ANY(:ids) "
                "ORDER BY seat_id"
            ).bindparams(_IDS),
            {"event_id": event_id, "ids": seat_ids},
        )
        return [_view(row) for row in rows.all()]

    async def sell(
        self,
        *,
        event_id: uuid.UUID,
        seat_ids: list[int],
        hold_id: uuid.UUID,
        reservation_id: str,
        user_id: uuid.UUID,
    ) -> list[int]:
        """Sell the seats that are this hold's (even expired) or free; the ids sold.

        Fewer than asked means another fan has some of them now; the caller rolls back.
        """
        rows = await self.session.execute(
            text(
                f"UPDATE {SCHEMA}.seats SET status = 'sold', reservation_id = :reservation_id, "  # noqa: S608
                "user_id = :user_id, hold_id = :hold_id, hold_expires_at = NULL "
                "WHERE event_id = :event_id AND seat_id = ANY(:ids) "
                f"AND ((status = 'held' AND hold_id = :hold_id) OR {FREE}) RETURNING seat_id"
            ).bindparams(_IDS),
            {
                "event_id": event_id,
                "ids": seat_ids,
                "hold_id": hold_id,
                "reservation_id": reservation_id,
                "user_id": user_id,
            },
        )
        return sorted(int(seat_id) for (seat_id,) in rows.all())

    async def release_all(self, *, event_id: uuid.UUID) -> list[int]:
        """Free every taken seat of an event (it was canceled); their ids."""
        rows = await self.session.execute(
            text(
                f"UPDATE {SCHEMA}.seats SET {_FREE_SEATS} WHERE event_id = :event_id "  # noqa: S608
                "AND status <> 'available' RETURNING seat_id"
            ),
            {"event_id": event_id},
        )
        return sorted(int(seat_id) for (seat_id,) in rows.all())

    async def sweep(self, *, limit: int) -> list[ExpiredSeat]:
        """Free up to `limit` seats whose holds ran out and that no payment has sold."""
        rows = await self.session.execute(
            text(
                f"""WITH expired AS (
                    SELECT event_id, seat_id, hold_id, user_id, reservation_id
                    FROM {SCHEMA}.seats WHERE status = 'held' AND hold_expires_at <= now()
                    ORDER BY event_id, seat_id LIMIT :limit FOR UPDATE SKIP LOCKED)
                UPDATE {SCHEMA}.seats s SET {_FREE_SEATS}
                FROM expired e WHERE s.event_id = e.event_id AND s.seat_id = e.seat_id
                RETURNING e.event_id, e.seat_id, e.hold_id, e.user_id, e.reservation_id"""  # noqa: S608
            ),
            {"limit": limit},
        )
        return [ExpiredSeat(*row) for row in rows.all()]

    async def bump_version(self, event_id: uuid.UUID) -> int:
        """The event's next seat-map version (last statement before commit: row lock)."""
        # Every change of the event's map queues on this row for the length of a commit; a hold
        # that already has its seats waits its turn here instead of failing on the short
        # timeout meant for seats another fan is taking.
        await self.set_lock_timeout(VERSION_LOCK_TIMEOUT_MS)
        version = await self.session.scalar(_BUMP, {"event_id": event_id})
        return int(version or 0)

    async def counts(self, event_id: uuid.UUID) -> list[GradeCount]:
        """Seats per grade by status, as readers see them."""
        rows = await self.session.execute(_COUNTS, {"event_id": event_id})
        return [GradeCount(*row) for row in rows.all()]

    async def snapshot_rows(self, event_id: uuid.UUID) -> list[Any]:
        """Every seat in layout order, fetched by asyncpg without ORM processing."""
        return list(await (await self._driver()).fetch(_SNAPSHOT, event_id))

"""Seat statements run on a bare asyncpg connection: a hold in one round trip, and the reads
that choose best-available seats.

No ORM and no explicit transaction: each call is one prepared statement in an implicit
transaction (asyncpg caches the statement per connection), so a hold costs one round trip.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from tiketi.services.booking.adapters.orm import SCHEMA
from tiketi.services.booking.domain.models import SeatView
from tiketi.services.booking.domain.seating import FreeRun, Place

# A seat is free when available, or held by a hold that has run out (expiry is lazy).
FREE = "(status = 'available' OR (status = 'held' AND hold_expires_at <= now()))"

_TAKE_HOLD = f"SELECT * FROM {SCHEMA}.take_hold($1, $2, $3, $4, $5, $6, $7, $8, $9)"  # noqa: S608
# booking.take_hold raises this when seats it found free were taken before its UPDATE.
SEATS_TAKEN_STATE = "TK409"
# Deadlock or lock timeout: the statement gave up waiting for another transaction's rows.
LOST_RACE_STATES = frozenset({"40P01", "55P03"})

_GRADE_PLACES = (
    f"SELECT seat_id, section_index, row_index, seat_index, {FREE} AS free "  # noqa: S608
    f"FROM {SCHEMA}.seats WHERE event_id = $1 AND grade = $2"
)
# Best-available reads only the rows that decide it (domain/seating.py `rows_to_read`), not a
# whole grade. Step 1: the grade's runs of free seats. Along a run, a seat's index minus its
# rank among its row's free seats is constant ("gaps and islands"), so grouping by it finds the
# runs; they come back best first by `run_rank`, at most $3 of them, with the grade's free count.
_BEST_RUNS = (
    "WITH free AS (SELECT section_index, row_index, seat_index - row_number() OVER ("  # noqa: S608
    "PARTITION BY section_index, row_index ORDER BY seat_index) AS island "
    f"FROM {SCHEMA}.seats WHERE event_id = $1 AND grade = $2 AND {FREE} "
    "AND seat_id <> ALL($4::bigint[])), "
    "runs AS (SELECT section_index, row_index, count(*) AS length FROM free "
    "GROUP BY section_index, row_index, island) "
    "SELECT section_index, row_index, length, sum(length) OVER () AS available FROM runs "
    "ORDER BY length < $3, CASE WHEN length >= $3 THEN (length = $3 + 1)::int ELSE -length END, "
    "section_index, row_index LIMIT $3"
)
# Step 2: every seat of the grade in those rows, free or not (the orphan rule and the middle
# of a row look at the whole row), one index lookup per row.
_ROW_PLACES = (
    f"SELECT s.seat_id, s.section_index, s.row_index, s.seat_index, {FREE} AS free "  # noqa: S608
    "FROM unnest($3::int[], $4::int[]) AS r(section_index, row_index) "
    f"JOIN {SCHEMA}.seats s ON s.event_id = $1 AND s.grade = $2 "
    "AND s.section_index = r.section_index AND s.row_index = r.row_index"
)
_HAS_GRADE = f"SELECT EXISTS (SELECT 1 FROM {SCHEMA}.seats WHERE event_id = $1 AND grade = $2)"  # noqa: S608


@dataclass(frozen=True)
class HoldRules:
    """How long a hold lasts and how long it may wait for locks."""

    hold_seconds: int
    seat_lock_timeout_ms: int
    version_lock_timeout_ms: int


@dataclass(frozen=True)
class Taken:
    """What booking.take_hold did: `held` (with the seats, the hold's expiry and the seat map's
    new version), `allowed` (rules checked, nothing asked), or why it refused (nothing written):
    event_not_found, event_canceled, sale_not_open, sale_closed, admission_required,
    ticket_limit, unknown_seats, unavailable, taken (a race after the check) or lost_race (a
    lock wait gave up)."""

    outcome: str
    info: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    expires_at: datetime | None = None
    seats: list[SeatView] = field(default_factory=list)


def _taken(record: Any) -> Taken:
    outcome, info, version, expires_at, ids, sections, rows, numbers, grades, prices = record
    seats = []
    if ids:
        seats = [
            SeatView(int(i), sec, row, num, grade, int(price))
            for i, sec, row, num, grade, price in zip(
                ids, sections, rows, numbers, grades, prices, strict=True
            )
        ]
    return Taken(outcome, json.loads(info) if info else {}, int(version or 0), expires_at, seats)


class SeatStatements:
    """The statements of the hold path, on one asyncpg connection."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def take_hold(
        self,
        *,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        hold_id: uuid.UUID,
        seat_ids: list[int],
        quantity: int,
        admitted: bool,
        rules: HoldRules,
    ) -> Taken:
        """Check the rules and hold `seat_ids` (sorted, distinct) all or none, in one statement."""
        try:
            record = await self.connection.fetchrow(
                _TAKE_HOLD, event_id, user_id, hold_id, seat_ids, quantity, admitted,
                rules.hold_seconds, rules.seat_lock_timeout_ms, rules.version_lock_timeout_ms,
            )  # fmt: skip
        except asyncpg.PostgresError as exc:
            # The statement's implicit transaction is rolled back: nothing was held.
            state = getattr(exc, "sqlstate", None)
            if state == SEATS_TAKEN_STATE:
                return Taken("taken", json.loads(getattr(exc, "detail", None) or "{}"))
            if state in LOST_RACE_STATES:
                return Taken("lost_race")
            raise
        return _taken(record)

    async def grade_places(self, *, event_id: uuid.UUID, grade: str) -> list[Place]:
        """Every seat of one grade with whether it is free now (for best-available)."""
        rows = await self.connection.fetch(_GRADE_PLACES, event_id, grade)
        return [Place(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]

    async def best_runs(
        self, *, event_id: uuid.UUID, grade: str, quantity: int, skip: Sequence[int] = ()
    ) -> tuple[list[FreeRun], int]:
        """The grade's first `quantity` runs of free seats by `run_rank`, and its free seats,
        counting the seats in `skip` as taken."""
        rows = await self.connection.fetch(_BEST_RUNS, event_id, grade, quantity, list(skip))
        available = int(rows[0]["available"]) if rows else 0
        return [FreeRun(r[0], r[1], int(r[2])) for r in rows], available

    async def row_places(
        self, *, event_id: uuid.UUID, grade: str, rows: list[tuple[int, int]]
    ) -> list[Place]:
        """Every seat of the grade in the given (section_index, row_index) rows."""
        sections, row_indexes = [r[0] for r in rows], [r[1] for r in rows]
        records = await self.connection.fetch(_ROW_PLACES, event_id, grade, sections, row_indexes)
        return [Place(r[0], r[1], r[2], r[3], bool(r[4])) for r in records]

    async def has_grade(self, *, event_id: uuid.UUID, grade: str) -> bool:
        """Whether the event has any seat of this grade."""
        return bool(await self.connection.fetchval(_HAS_GRADE, event_id, grade))

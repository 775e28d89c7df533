"""Venue queries. Layouts are bulk-written with COPY; repositories never commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import repeat
from typing import Any

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.services.catalog.adapters.orm import SCHEMA, Seat, Venue, VenueRow, VenueSection
from tiketi.services.catalog.domain.layout import LayoutRow, LayoutSection, VenuePlan

# One row holding every new id: 100,000 ids decoded as one array, not 100,000 result rows.
_NEXT_SEAT_IDS = text(
    f"SELECT array_agg(nextval('{SCHEMA}.seats_id_seq')) FROM generate_series(1, :n)"  # noqa: S608
)
_SEATS_IN_ORDER = (
    "SELECT section_position, row_position, id, label FROM "  # noqa: S608 - constants only
    f"{SCHEMA}.seats WHERE venue_id = $1 ORDER BY section_position, row_position, position"
)


class VenueRepository:
    """Venues with their sections, rows and seats."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_seat_ids(self, count: int) -> list[int]:
        """`count` fresh seat ids, ascending, so seat ids follow the layout order."""
        ids = await self.session.scalar(_NEXT_SEAT_IDS, {"n": count})
        return sorted(ids or [])

    async def add(
        self,
        *,
        venue_id: uuid.UUID,
        plan: VenuePlan,
        sections: Sequence[LayoutSection],
        created_by: uuid.UUID,
        search_text: str,
    ) -> Venue:
        """Write a venue and its whole layout in the caller's transaction.

        Sections, rows and seats go through COPY on the session's own connection (and so in
        its transaction): 100,000 seats are one round trip instead of 100,000 INSERTs.
        """
        venue = Venue(
            id=venue_id,
            name=plan.name,
            address=plan.address,
            seat_count=plan.seat_count,
            created_by=created_by,
            search_text=search_text,
        )
        self.session.add(venue)
        await self.session.flush()
        section_records, row_records, seat_records = _records(venue_id, sections)
        await self._copy(
            "venue_sections", ["venue_id", "position", "name", "seat_count"], section_records
        )
        await self._copy(
            "venue_rows",
            ["venue_id", "section_position", "position", "label", "seat_count"],
            row_records,
        )
        await self._copy(
            "seats",
            ["id", "venue_id", "section_position", "row_position", "position", "label"],
            seat_records,
        )
        await self.session.refresh(venue, ["created_at"])
        return venue

    async def _driver(self) -> Any:
        """The asyncpg connection under the session (same connection, same transaction)."""
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        return raw.driver_connection

    async def _copy(self, table: str, columns: list[str], records: list[tuple[Any, ...]]) -> None:
        driver = await self._driver()
        await driver.copy_records_to_table(
            table, schema_name=SCHEMA, columns=columns, records=records
        )

    async def get(self, venue_id: uuid.UUID) -> Venue | None:
        """The venue with this id, without its layout."""
        return await self.session.get(Venue, venue_id)

    async def section_names(self, venue_id: uuid.UUID) -> list[str]:
        """The venue's section names in layout order."""
        query = (
            select(VenueSection.name)
            .where(VenueSection.venue_id == venue_id)
            .order_by(VenueSection.position)
        )
        return list((await self.session.scalars(query)).all())

    async def layout(self, venue_id: uuid.UUID) -> tuple[LayoutSection, ...]:
        """The venue's sections, rows and seats in layout order (three queries, no joins)."""
        sections = (
            await self.session.execute(
                select(VenueSection.position, VenueSection.name)
                .where(VenueSection.venue_id == venue_id)
                .order_by(VenueSection.position)
            )
        ).all()
        rows = (
            await self.session.execute(
                select(VenueRow.section_position, VenueRow.position, VenueRow.label)
                .where(VenueRow.venue_id == venue_id)
                .order_by(VenueRow.section_position, VenueRow.position)
            )
        ).all()
        # Up to 100,000 rows: fetched by asyncpg directly, without ORM row processing.
        seats = await (await self._driver()).fetch(_SEATS_IN_ORDER, venue_id)
        return _assemble(sections, rows, seats)

    async def page(
        self, *, pattern: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[Venue]:
        """Newest first, keyset-paginated by (created_at, id)."""
        query = select(Venue).order_by(Venue.created_at.desc(), Venue.id.desc()).limit(limit)
        if pattern is not None:
            query = query.where(Venue.search_text.like(pattern))
        if after is not None:
            query = query.where(tuple_(Venue.created_at, Venue.id) < tuple_(*after))
        return list((await self.session.scalars(query)).all())

    async def count_seats(self, venue_id: uuid.UUID) -> int:
        """Seats stored for a venue (for checks and tests)."""
        query = select(func.count()).select_from(Seat).where(Seat.venue_id == venue_id)
        return int((await self.session.scalar(query)) or 0)


def _records(
    venue_id: uuid.UUID, sections: Sequence[LayoutSection]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    section_records: list[tuple[Any, ...]] = []
    row_records: list[tuple[Any, ...]] = []
    seat_records: list[tuple[Any, ...]] = []
    for s_pos, section in enumerate(sections):
        section_records.append((venue_id, s_pos, section.name, section.seat_count))
        for r_pos, row in enumerate(section.rows):
            row_records.append((venue_id, s_pos, r_pos, row.label, len(row.seat_ids)))
            count = len(row.seat_ids)
            # zip and repeat run in C: this loop is per row, never per seat.
            seat_records.extend(
                zip(
                    row.seat_ids,
                    repeat(venue_id, count),
                    repeat(s_pos, count),
                    repeat(r_pos, count),
                    range(count),
                    row.seat_labels,
                    strict=True,
                )
            )
    return section_records, row_records, seat_records


def _assemble(
    sections: Iterable[Any], rows: Iterable[Any], seats: Iterable[Any]
) -> tuple[LayoutSection, ...]:
    seats_by_row: dict[tuple[int, int], tuple[list[int], list[str]]] = {}
    for s_pos, r_pos, seat_id, label in seats:
        ids, labels = seats_by_row.setdefault((s_pos, r_pos), ([], []))
        ids.append(seat_id)
        labels.append(label)
    rows_by_section: dict[int, list[LayoutRow]] = {}
    for s_pos, r_pos, label in rows:
        ids, labels = seats_by_row.get((s_pos, r_pos), ([], []))
        rows_by_section.setdefault(s_pos, []).append(
            LayoutRow(label=label, seat_ids=tuple(ids), seat_labels=tuple(labels))
        )
    return tuple(
        LayoutSection(name=name, rows=tuple(rows_by_section.get(s_pos, [])))
        for s_pos, name in sections
    )

"""Event queries: the row lock writers take, and one-statement reads for details and lists."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Select, and_, delete, func, insert, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.services.catalog.adapters.orm import (
    Event,
    EventGrade,
    EventImage,
    EventSeatGrade,
    Venue,
    VenueSection,
)
from tiketi.services.catalog.domain.events import EventSpec, EventStatus, Grade, QueuePolicy


@dataclass(frozen=True)
class EventFilters:
    """What a list asks for; None means no filter on that field."""

    statuses: Sequence[EventStatus] = ("published",)
    organizer_id: uuid.UUID | None = None
    venue_id: uuid.UUID | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    pattern: str | None = None


def _grades_json() -> Any:
    """Per-event JSON array of grades, each with how many seats the mapping gives it."""
    seats = (
        select(func.coalesce(func.sum(VenueSection.seat_count), 0))
        .select_from(EventSeatGrade)
        .join(
            VenueSection,
            and_(
                VenueSection.venue_id == Event.venue_id,
                VenueSection.name == EventSeatGrade.section_name,
            ),
        )
        .where(EventSeatGrade.event_id == Event.id, EventSeatGrade.grade_code == EventGrade.code)
        .correlate(Event, EventGrade)
        .scalar_subquery()
    )
    grade = func.json_build_object(
        "code", EventGrade.code, "name", EventGrade.name, "price", EventGrade.price, "seats", seats
    )
    return (
        select(
            func.coalesce(
                func.json_agg(aggregate_order_by(grade, EventGrade.position)),
                literal_column("'[]'::json"),
                type_=JSON,
            )
        )
        .where(EventGrade.event_id == Event.id)
        .correlate(Event)
        .scalar_subquery()
    )


def _seat_grades_json() -> Any:
    return (
        select(
            func.coalesce(
                func.json_object_agg(EventSeatGrade.section_name, EventSeatGrade.grade_code),
                literal_column("'{}'::json"),
                type_=JSON,
            )
        )
        .where(EventSeatGrade.event_id == Event.id)
        .correlate(Event)
        .scalar_subquery()
    )


def _read_query() -> Select[Any]:
    """Everything a detail or list item shows, in one statement (no N+1 per grade)."""
    return select(
        Event,
        Venue.name.label("venue_name"),
        Venue.address.label("venue_address"),
        Venue.seat_count.label("venue_seat_count"),
        _grades_json().label("grades"),
        _seat_grades_json().label("seat_grades"),
    ).join(Venue, Venue.id == Event.venue_id)


class EventRepository:
    """Events with their grades and section mapping."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, *, event_id: uuid.UUID, organizer_id: uuid.UUID, spec: EventSpec, search_text: str
    ) -> None:
        """Insert a draft with its grades and mapping."""
        self.session.add(
            Event(
                id=event_id,
                organizer_id=organizer_id,
                status="draft",
                search_text=search_text,
                **_columns(spec),
            )
        )
        await self.session.flush()
        await self._insert_grades(event_id, spec.grades, spec.seat_grades)

    async def lock(self, event_id: uuid.UUID) -> Event | None:
        """The event, row-locked until the transaction ends: writers of one event queue here."""
        query = select(Event).where(Event.id == event_id).with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def spec(self, event: Event) -> EventSpec:
        """The event's settings as the domain sees them."""
        grades = (
            await self.session.scalars(
                select(EventGrade)
                .where(EventGrade.event_id == event.id)
                .order_by(EventGrade.position)
            )
        ).all()
        mapping = (
            await self.session.execute(
                select(EventSeatGrade.section_name, EventSeatGrade.grade_code).where(
                    EventSeatGrade.event_id == event.id
                )
            )
        ).all()
        return EventSpec(
            title=event.title,
            description=event.description,
            venue_id=event.venue_id,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            sale_opens_at=event.sale_opens_at,
            sale_closes_at=event.sale_closes_at,
            grades=tuple(Grade(code=g.code, name=g.name, price=g.price) for g in grades),
            seat_grades={section: code for section, code in mapping},
            max_tickets_per_user=event.max_tickets_per_user,
            queue=QueuePolicy(
                enabled=event.queue_enabled,
                max_active=event.queue_max_active,
                admit_per_second=event.queue_admit_per_second,
            ),
        )

    async def update(
        self, event: Event, spec: EventSpec, *, inventory: bool, search_text: str, now: datetime
    ) -> None:
        """Write the spec onto a locked event; grades and mapping only when `inventory`."""
        for name, value in _columns(spec).items():
            setattr(event, name, value)
        event.search_text = search_text
        event.updated_at = now
        await self.session.flush()
        if inventory:
            await self.session.execute(delete(EventGrade).where(EventGrade.event_id == event.id))
            await self._insert_grades(event.id, spec.grades, spec.seat_grades)

    async def _insert_grades(
        self, event_id: uuid.UUID, grades: Sequence[Grade], mapping: Mapping[str, str]
    ) -> None:
        await self.session.execute(
            insert(EventGrade),
            [
                {
                    "event_id": event_id,
                    "code": g.code,
                    "name": g.name,
                    "price": g.price,
                    "position": index,
                }
                for index, g in enumerate(grades)
            ],
        )
        if mapping:
            await self.session.execute(
                insert(EventSeatGrade),
                [
                    {"event_id": event_id, "section_name": section, "grade_code": code}
                    for section, code in mapping.items()
                ],
            )

    async def add_image(self, image: EventImage) -> None:
        """Record an uploaded poster."""
        self.session.add(image)
        await self.session.flush()

    async def read(self, event_id: uuid.UUID) -> Any | None:
        """The row a detail document is built from (one statement)."""
        query = _read_query().where(Event.id == event_id)
        return (await self.session.execute(query)).one_or_none()

    async def page(
        self, filters: EventFilters, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[Any]:
        """Events by (starts_at, id), after the cursor, filtered (one statement)."""
        query = _read_query().order_by(Event.starts_at, Event.id).limit(limit)
        query = query.where(Event.status.in_(list(filters.statuses)))
        if filters.organizer_id is not None:
            query = query.where(Event.organizer_id == filters.organizer_id)
        if filters.venue_id is not None:
            query = query.where(Event.venue_id == filters.venue_id)
        if filters.starts_from is not None:
            query = query.where(Event.starts_at >= filters.starts_from)
        if filters.starts_to is not None:
            query = query.where(Event.starts_at <= filters.starts_to)
        if filters.pattern is not None:
            query = query.where(Event.search_text.like(filters.pattern))
        if after is not None:
            query = query.where(tuple_(Event.starts_at, Event.id) > tuple_(*after))
        return list((await self.session.execute(query)).all())


def _columns(spec: EventSpec) -> dict[str, Any]:
    return {
        "venue_id": spec.venue_id,
        "title": spec.title,
        "description": spec.description,
        "starts_at": spec.starts_at,
        "ends_at": spec.ends_at,
        "sale_opens_at": spec.sale_opens_at,
        "sale_closes_at": spec.sale_closes_at,
        "max_tickets_per_user": spec.max_tickets_per_user,
        "queue_enabled": spec.queue.enabled,
        "queue_max_active": spec.queue.max_active,
        "queue_admit_per_second": spec.queue.admit_per_second,
    }

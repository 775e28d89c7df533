"""The events the waiting room serves, and their draws, in PostgreSQL. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.catalog import EventPublished, EventUpdated
from tiketi.services.queue.adapters.orm import Draw, Event
from tiketi.services.queue.domain.fairness import commitment, new_seed
from tiketi.services.queue.domain.models import EventStatus, QueueEvent

# A closed room is kept listed this long, so the admitter gets to forget its Redis state.
CLOSED_GRACE = timedelta(hours=1)


def view(row: Event) -> QueueEvent:
    """The domain copy of a row."""
    return QueueEvent(
        id=str(row.id),
        organizer_id=str(row.organizer_id),
        sale_opens_at=row.sale_opens_at,
        sale_closes_at=row.sale_closes_at,
        status=row.status,
        enabled=row.queue_enabled,
        max_active=row.max_active,
        admit_per_second=row.admit_per_second,
        epoch=row.epoch,
        commitment=row.commitment,
        drawn=row.drawn_at is not None,
    )


class EventRows:
    """Reads and writes of queue.events and queue.draws inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, event: EventPublished) -> bool:
        """The event's row with a fresh seed and its commitment; False when it exists (a
        replay must never draw a second seed: the first commitment may be public already)."""
        seed = new_seed()
        result = await self.session.execute(
            insert(Event)
            .values(
                id=uuid.UUID(event.event_id),
                organizer_id=uuid.UUID(event.organizer_id),
                sale_opens_at=event.sale_opens_at,
                sale_closes_at=event.sale_closes_at,
                queue_enabled=event.queue.enabled,
                max_active=event.queue.max_active,
                admit_per_second=event.queue.admit_per_second,
                seed=seed,
                commitment=commitment(seed),
            )
            .on_conflict_do_nothing(index_elements=[Event.id])
            .returning(Event.id)
        )
        return result.first() is not None

    async def update(self, event: EventUpdated) -> None:
        """Take over the sale window and queue policy catalog changed."""
        await self.session.execute(
            update(Event)
            .where(Event.id == uuid.UUID(event.event_id))
            .values(
                sale_opens_at=event.sale_opens_at,
                sale_closes_at=event.sale_closes_at,
                queue_enabled=event.queue.enabled,
                max_active=event.queue.max_active,
                admit_per_second=event.queue.admit_per_second,
                updated_at=func.now(),
            )
        )

    async def cancel(self, event_id: str) -> None:
        """The event was canceled: its room closes."""
        await self.session.execute(
            update(Event)
            .where(Event.id == uuid.UUID(event_id))
            .values(status=EventStatus.CANCELED.value, updated_at=func.now())
        )

    async def get(self, event_id: uuid.UUID) -> QueueEvent | None:
        """One event, or None."""
        row = await self.session.get(Event, event_id)
        return view(row) if row is not None else None

    async def rooms(self, *, now: datetime, pre_window: timedelta) -> list[QueueEvent]:
        """Queue-enabled events the admitter looks after: from the pre-queue window until a
        while after they close (to forget their state)."""
        rows = await self.session.scalars(
            select(Event)
            .where(
                Event.queue_enabled.is_(True),
                Event.sale_closes_at > now - CLOSED_GRACE,
                Event.sale_opens_at <= now + pre_window,
            )
            .order_by(Event.sale_opens_at, Event.id)
        )
        return [view(row) for row in rows]

    async def row(self, event_id: uuid.UUID) -> Event | None:
        """The event's row (the seed included), unlocked."""
        return await self.session.get(Event, event_id)

    async def lock(self, event_id: uuid.UUID) -> Event | None:
        """The event's row, locked until the transaction ends (epoch changes, the draw)."""
        return await self.session.scalar(
            select(Event).where(Event.id == event_id).with_for_update()
        )

    async def draw(self, event_id: uuid.UUID) -> Draw | None:
        """The published draw, if the pre-queue was drawn."""
        return await self.session.get(Draw, event_id)

    async def store_draw(
        self, row: Event, *, joiners: Sequence[str], ordering: Sequence[str], at: datetime
    ) -> Draw:
        """Publish the draw (and so the seed) once; a redo keeps the first one."""
        existing = await self.draw(row.id)
        if existing is not None:
            return existing
        draw = Draw(event_id=row.id, joiners=list(joiners), ordering=list(ordering), drawn_at=at)
        self.session.add(draw)
        row.drawn_at = at
        await self.session.flush()
        return draw

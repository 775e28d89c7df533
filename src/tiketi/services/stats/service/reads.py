"""The figures of one event (its organizer, admins) and the overview (admins)."""

from __future__ import annotations

import uuid
from typing import Any

from tiketi.kernel.tokens import Principal
from tiketi.services.stats.adapters.queries import StatsQueries
from tiketi.services.stats.adapters.queue import queue_figures
from tiketi.services.stats.domain.errors import NotEventOwner, StatsEventNotFound
from tiketi.services.stats.domain.figures import Counts, EventSummary, event_body, overview_body
from tiketi.services.stats.service.common import Stats


def _event_uuid(event_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(event_id)
    except ValueError:
        raise StatsEventNotFound() from None


async def event_stats(*, stats: Stats, principal: Principal, event_id: str) -> dict[str, Any]:
    """The event's figures; 404 when unknown, 403 for anyone but its organizer and admins."""
    eid = _event_uuid(event_id)
    if principal.role != "admin":
        # Checked before any figure is computed: a stranger costs one primary-key read.
        async with stats.uow() as uow:
            event = await StatsQueries(uow.session).event(eid)
        if event is None:
            raise StatsEventNotFound()
        if str(event.organizer_id) != principal.id:
            raise NotEventOwner()
    body, _ = await compute_event(stats=stats, event_id=eid)
    return body


async def compute_event(*, stats: Stats, event_id: uuid.UUID) -> tuple[dict[str, Any], str]:
    """The event's figures and its organizer's id (read in one snapshot of the facts)."""
    async with stats.uow() as uow:
        queries = StatsQueries(uow.session)
        await queries.snapshot()
        event = await queries.event(event_id)
        if event is None:
            raise StatsEventNotFound()
        grades = await queries.grades(event_id)
        counts = (await queries.counts(event_id)).get(event_id, Counts())
        sales = await queries.sales(event_id)
    queue = await queue_figures(stats.redis, str(event_id))
    body = event_body(
        event_id=str(event_id),
        status=event.status,
        total=event.seat_count,
        grades=grades,
        counts=counts,
        queue=queue,
        sales=sales,
    )
    return body, str(event.organizer_id)


async def overview(*, stats: Stats) -> dict[str, Any]:
    """Totals across every event, and one line per event."""
    async with stats.uow() as uow:
        queries = StatsQueries(uow.session)
        await queries.snapshot()
        events = await queries.events()
        counts = await queries.counts()
    return overview_body(
        EventSummary(
            event_id=str(e.event_id),
            title=e.title,
            status=e.status,
            total=e.seat_count,
            counts=counts.get(e.event_id, Counts()),
        )
        for e in events
    )

"""Event reads: details and lists from Redis when fresh, one database load when not.

The cached documents never hold sale_state or availability: both are computed here, per
request, from the clock and booking's counts, so a cached document cannot show a sale as
open after it closed or seats that are gone.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.errors import Unauthorized
from tiketi.kernel.singleflight import SingleFlight
from tiketi.kernel.tokens import Principal
from tiketi.services.catalog.adapters.cache import CatalogCache
from tiketi.services.catalog.adapters.events import EventFilters, EventRepository
from tiketi.services.catalog.domain.errors import EventNotFound
from tiketi.services.catalog.domain.events import STATUSES, EventStatus, can_see
from tiketi.services.catalog.domain.sales import AvailabilitySource
from tiketi.services.catalog.domain.search import decode_cursor, encode_cursor, like_pattern
from tiketi.services.catalog.service.common import actor_id, is_admin, parse_id
from tiketi.services.catalog.service.documents import Document, event_document, present_event

# Left out of list items: long or only useful on the event's own page.
_DETAIL_ONLY = ("description", "seat_grades")


@dataclass(frozen=True)
class EventQuery:
    """A list request as the API received it."""

    q: str | None = None
    status: EventStatus | None = None
    mine: bool = False
    venue_id: uuid.UUID | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    limit: int = 20
    cursor: str | None = None


async def _cached_event(
    uow: UnitOfWork, cache: CatalogCache, flights: SingleFlight, event_id: uuid.UUID
) -> Document | None:
    cached = await cache.event(event_id)
    if cached.value is not None:
        value: Document = cached.value
        return value

    async def load() -> Document | None:
        async with uow:
            row = await EventRepository(uow.session).read(event_id)
            # Built inside the unit of work: leaving it expires the loaded rows.
            document = event_document(row) if row is not None else None
        if document is None:
            return None
        await cache.store_event(event_id, cached.version, document)
        return document

    return await flights.run(f"event:{event_id}:{cached.version}", load)


async def event_detail(
    *,
    uow: UnitOfWork,
    cache: CatalogCache,
    flights: SingleFlight,
    availability: AvailabilitySource,
    viewer: Principal | None,
    event_id: str,
    now: datetime,
) -> Document:
    """An event as answered now; drafts are 404 to anyone but their organizer and admins."""
    key = parse_id(event_id, EventNotFound)
    document = await _cached_event(uow, cache, flights, key)
    if document is None or not can_see(
        status=document["status"],
        organizer_id=document["organizer_id"],
        viewer_id=viewer.id if viewer else None,
        admin=is_admin(viewer),
    ):
        raise EventNotFound()
    return await present(document, availability=availability, now=now)


async def present(
    document: Document, *, availability: AvailabilitySource, now: datetime
) -> Document:
    """An event document with its live availability and sale state."""
    key = uuid.UUID(document["id"])
    counts = await availability.counts([key])
    return present_event(document, counts.get(key), now=now)


def _filters(query: EventQuery, viewer: Principal | None) -> tuple[EventFilters, bool]:
    """The database filters for a list request, and whether its answer is the same for all.

    Published and canceled events are public. Drafts are listed for their organizer (and
    every draft for admins); `mine` lists the caller's own events of any (or the asked) status.
    """
    pattern = like_pattern(query.q) if query.q and query.q.strip() else None
    common: dict[str, Any] = {
        "venue_id": query.venue_id,
        "starts_from": query.starts_from,
        "starts_to": query.starts_to,
        "pattern": pattern,
    }
    if query.mine:
        if viewer is None:
            raise Unauthorized("Sign in to list your own events.")
        statuses = (query.status,) if query.status else STATUSES
        return EventFilters(statuses=statuses, organizer_id=actor_id(viewer), **common), False
    if query.status != "draft":
        return EventFilters(statuses=(query.status or "published",), **common), True
    if is_admin(viewer):
        return EventFilters(statuses=("draft",), **common), False
    # Anyone else sees only their own drafts (none, when signed out).
    owner = actor_id(viewer) if viewer is not None else uuid.UUID(int=0)
    return EventFilters(statuses=("draft",), organizer_id=owner, **common), False


async def _load_page(
    uow: UnitOfWork, filters: EventFilters, cursor: str | None, limit: int
) -> Document:
    after = decode_cursor(cursor) if cursor else None
    async with uow:
        rows = await EventRepository(uow.session).page(filters, after=after, limit=limit + 1)
        page, more = rows[:limit], len(rows) > limit
        items = []
        for row in page:
            document = event_document(row)
            for name in _DETAIL_ONLY:
                document.pop(name)
            items.append(document)
        last = page[-1].Event if more else None
        next_cursor = encode_cursor(last.starts_at, last.id) if last is not None else None
    return {"items": items, "next_cursor": next_cursor}


def _cache_key(query: EventQuery) -> str:
    canonical = json.dumps(asdict(query), default=str, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:40]


async def list_events(
    *,
    uow: UnitOfWork,
    cache: CatalogCache,
    flights: SingleFlight,
    availability: AvailabilitySource,
    viewer: Principal | None,
    query: EventQuery,
    now: datetime,
) -> Document:
    """A page of events by start time; public pages are cached, per-user ones are not."""
    filters, public = _filters(query, viewer)
    if query.cursor:
        decode_cursor(query.cursor)  # a bad cursor is a 422 even when the page is cached
    if public:
        params = _cache_key(query)
        cached = await cache.events_page(params)
        page: Document | None = cached.value
        if page is None:

            async def load() -> Document:
                loaded = await _load_page(uow, filters, query.cursor, query.limit)
                await cache.store_events_page(params, cached.version, loaded)
                return loaded

            page = await flights.run(f"events:{params}:{cached.version}", load)
    else:
        page = await _load_page(uow, filters, query.cursor, query.limit)
    ids = [uuid.UUID(item["id"]) for item in page["items"]]
    counts = await availability.counts(ids)
    items = [
        present_event(item, counts.get(event_id), now=now)
        for item, event_id in zip(page["items"], ids, strict=True)
    ]
    return {"items": items, "next_cursor": page["next_cursor"]}

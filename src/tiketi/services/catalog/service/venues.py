"""Venue use cases: create a layout in one transaction, read it (cached), list venues."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence

import structlog

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.singleflight import SingleFlight
from tiketi.kernel.tokens import Principal
from tiketi.services.catalog.adapters.cache import CatalogCache
from tiketi.services.catalog.adapters.venues import VenueRepository
from tiketi.services.catalog.domain.errors import VenueNotFound
from tiketi.services.catalog.domain.layout import SectionDraft, assign_seat_ids, plan_venue
from tiketi.services.catalog.domain.search import (
    decode_cursor,
    encode_cursor,
    like_pattern,
    normalise_text,
)
from tiketi.services.catalog.service.common import actor_id, parse_id
from tiketi.services.catalog.service.documents import Document, venue_document, venue_summary

log = structlog.get_logger("tiketi.catalog")


def dump(document: Document) -> str:
    """Compact JSON, as cached and served."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


async def create_venue(
    *,
    uow: UnitOfWork,
    cache: CatalogCache,
    actor: Principal,
    name: str,
    address: str,
    sections: Sequence[SectionDraft],
) -> str:
    """Check and store a venue with its whole layout; returns its JSON document with seat ids."""
    plan = plan_venue(name=name, address=address, sections=sections)
    creator = actor_id(actor)
    started = time.perf_counter()
    venue_id = uuid.uuid4()
    async with uow:
        venues = VenueRepository(uow.session)
        layout = assign_seat_ids(plan, await venues.next_seat_ids(plan.seat_count))
        venue = await venues.add(
            venue_id=venue_id,
            plan=plan,
            sections=layout,
            created_by=creator,
            search_text=normalise_text(plan.name, plan.address),
        )
        created_at = venue.created_at
        await uow.commit()
    document = dump(
        venue_document(
            venue_id=venue_id,
            name=plan.name,
            address=plan.address,
            created_at=created_at,
            sections=layout,
        )
    )
    await cache.store_venue(venue_id, document)
    log.info(
        "venue_created",
        venue_id=str(venue_id),
        seats=plan.seat_count,
        store_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return document


async def venue_json(
    *, uow: UnitOfWork, cache: CatalogCache, flights: SingleFlight, venue_id: str
) -> str:
    """A venue's JSON document with its layout; 404 NOT_FOUND for unknown ids."""
    key = parse_id(venue_id, VenueNotFound)
    cached = await cache.venue(key)
    if cached is not None:
        return cached

    async def load() -> str:
        async with uow:
            venues = VenueRepository(uow.session)
            venue = await venues.get(key)
            if venue is None:
                raise VenueNotFound()
            layout = await venues.layout(key)
            document = dump(
                venue_document(
                    venue_id=venue.id,
                    name=venue.name,
                    address=venue.address,
                    created_at=venue.created_at,
                    sections=layout,
                )
            )
        await cache.store_venue(key, document)
        return document

    return await flights.run(f"venue:{key}", load)


async def list_venues(
    *, uow: UnitOfWork, q: str | None, cursor: str | None, limit: int
) -> Document:
    """Venues, newest first, optionally matching `q` in name or address."""
    after = decode_cursor(cursor) if cursor else None
    pattern = like_pattern(q) if q and q.strip() else None
    async with uow:
        venues = await VenueRepository(uow.session).page(
            pattern=pattern, after=after, limit=limit + 1
        )
        page, more = venues[:limit], len(venues) > limit
        last = page[-1] if more else None
        return {
            "items": [venue_summary(venue) for venue in page],
            "next_cursor": encode_cursor(last.created_at, last.id) if last is not None else None,
        }

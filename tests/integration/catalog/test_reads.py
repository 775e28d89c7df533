"""Read caching against real Redis: versions defeat stale writers, the clock is read per
request, and a Redis outage only costs database reads."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import event as sa_event

from tests.integration.catalog.conftest import UowFactory, make_event, make_venue
from tiketi.kernel.db import Database
from tiketi.kernel.redis import create_redis
from tiketi.kernel.singleflight import SingleFlight
from tiketi.kernel.tokens import Principal
from tiketi.services.catalog.adapters.cache import CatalogCache, RedisAvailability
from tiketi.services.catalog.service import events as writes
from tiketi.services.catalog.service import reads
from tiketi.services.catalog.service.common import utcnow


async def detail(
    new_uow: UowFactory,
    cache: CatalogCache,
    flights: SingleFlight,
    availability: Any,
    event_id: str,
    **kwargs: Any,
) -> dict[str, Any]:
    return await reads.event_detail(
        uow=new_uow(),
        cache=cache,
        flights=flights,
        availability=availability,
        viewer=kwargs.pop("viewer", None),
        event_id=event_id,
        now=kwargs.pop("now", utcnow()),
    )


async def test_a_stale_load_stored_after_a_change_is_never_served(
    new_uow: UowFactory, cache: CatalogCache, organizer: Principal
) -> None:
    event_id = uuid.uuid4()
    # A slow reader looks the event up, then a writer commits and invalidates…
    before = await cache.event(event_id)
    await cache.invalidate_event(event_id)
    # …and only then does the reader store what it loaded before the change.
    await cache.store_event(event_id, before.version, {"title": "old"})

    after = await cache.event(event_id)

    assert after.value is None
    await cache.store_event(event_id, after.version, {"title": "new"})
    assert (await cache.event(event_id)).value == {"title": "new"}


async def test_the_sale_state_follows_the_clock_while_the_document_stays_cached(
    new_uow: UowFactory,
    cache: CatalogCache,
    flights: SingleFlight,
    availability: RedisAvailability,
    organizer: Principal,
    db: Database,
) -> None:
    venue = await make_venue(new_uow, cache, organizer)
    now = utcnow()
    event = await make_event(
        new_uow,
        cache,
        organizer,
        venue,
        sale_opens_at=now + timedelta(days=1),
        sale_closes_at=now + timedelta(days=2),
    )
    await writes.publish_event(
        uow=new_uow(), cache=cache, actor=organizer, event_id=event["id"], now=now
    )
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        states = [
            (await detail(new_uow, cache, flights, availability, event["id"], now=when))[
                "sale_state"
            ]
            for when in (now, now + timedelta(days=1, hours=1), now + timedelta(days=3))
        ]
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", record)

    assert states == ["upcoming", "on_sale", "closed"]
    assert len(statements) == 1


async def test_reads_survive_a_redis_outage(
    new_uow: UowFactory,
    cache: CatalogCache,
    flights: SingleFlight,
    organizer: Principal,
) -> None:
    venue = await make_venue(new_uow, cache, organizer)
    event = await make_event(new_uow, cache, organizer, venue)
    # Nothing listens on port 1: every Redis call fails at once.
    dead = create_redis("redis://127.0.0.1:1/0", timeout=0.2)
    gate = asyncio.Semaphore(8)
    broken_cache = CatalogCache(dead, gate=gate, event_ttl=30, list_ttl=10, venue_ttl=60)
    try:
        document = await detail(
            new_uow,
            broken_cache,
            flights,
            RedisAvailability(dead, gate=gate),
            event["id"],
            viewer=organizer,
        )
        page = await reads.list_events(
            uow=new_uow(),
            cache=broken_cache,
            flights=flights,
            availability=RedisAvailability(dead, gate=gate),
            viewer=organizer,
            query=reads.EventQuery(mine=True, venue_id=uuid.UUID(venue["id"])),
            now=utcnow(),
        )
        await broken_cache.invalidate_event(uuid.UUID(event["id"]))
    finally:
        await dead.aclose()

    assert document["title"] == event["title"] and document["available"] == 8
    assert [item["id"] for item in page["items"]] == [event["id"]]

"""A venue of 100,000 seats is one request: COPY in one transaction, ids in layout order."""

from __future__ import annotations

import json
import time
import uuid

from sqlalchemy import text

from tests.integration.catalog.conftest import UowFactory, layout, make_event
from tiketi.kernel.db import Database
from tiketi.kernel.singleflight import SingleFlight
from tiketi.kernel.tokens import Principal
from tiketi.services.catalog.adapters.cache import CatalogCache
from tiketi.services.catalog.service import events, venues
from tiketi.services.catalog.service.common import utcnow


async def test_a_venue_of_100000_seats_is_stored_in_one_go(
    new_uow: UowFactory,
    cache: CatalogCache,
    flights: SingleFlight,
    db: Database,
    organizer: Principal,
) -> None:
    # 20 sections × 50 rows × 100 seats.
    sections = layout(**{f"S{index:02d}": [100] * 50 for index in range(20)})
    assert len(sections) == 20

    started = time.perf_counter()
    document = await venues.create_venue(
        uow=new_uow(),
        cache=cache,
        actor=organizer,
        name="Stadium",
        address="Seoul",
        sections=sections,
    )
    elapsed = time.perf_counter() - started
    print(f"\n100,000-seat venue created in {elapsed:.3f} s")

    venue = json.loads(document)
    assert venue["seat_count"] == 100_000
    ids = [seat["id"] for s in venue["sections"] for r in s["rows"] for seat in r["seats"]]
    assert len(ids) == len(set(ids)) == 100_000
    assert ids == sorted(ids)
    async with db.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT count(*), min(id), max(id) FROM catalog.seats WHERE venue_id = :v"),
                {"v": uuid.UUID(venue["id"])},
            )
        ).one()
    assert tuple(stored) == (100_000, ids[0], ids[-1])
    # Read back from the database (not the cache): the same document.
    await cache.redis.delete(f"catalog:venue:{venue['id']}")
    started = time.perf_counter()
    again = await venues.venue_json(
        uow=new_uow(), cache=cache, flights=flights, venue_id=venue["id"]
    )
    print(f"100,000-seat layout read in {time.perf_counter() - started:.3f} s")
    assert json.loads(again) == venue

    # Publishing it puts all 100,000 seats in one EventPublished, in the same transaction.
    event = await make_event(new_uow, cache, organizer, venue)
    started = time.perf_counter()
    await events.publish_event(
        uow=new_uow(), cache=cache, actor=organizer, event_id=event["id"], now=utcnow()
    )
    print(f"100,000-seat event published in {time.perf_counter() - started:.3f} s")
    async with db.engine.connect() as conn:
        seats = await conn.scalar(
            text(
                "SELECT jsonb_array_length(payload->'seats') FROM catalog.outbox "
                "WHERE payload->>'event_id' = :e"
            ),
            {"e": event["id"]},
        )
    assert seats == 100_000

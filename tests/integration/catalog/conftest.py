"""Catalog use cases against the session's real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from tiketi.kernel.db import Database, UnitOfWork
from tiketi.kernel.redis import create_redis
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.singleflight import SingleFlight
from tiketi.kernel.tokens import Principal
from tiketi.services.catalog.adapters.cache import CatalogCache, RedisAvailability
from tiketi.services.catalog.domain.events import EventSpec, Grade, QueuePolicy
from tiketi.services.catalog.domain.layout import RowDraft, SectionDraft
from tiketi.services.catalog.service import events as event_cases
from tiketi.services.catalog.service import venues as venue_cases

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
async def db(settings: PlatformSettings) -> AsyncIterator[Database]:
    assert settings.database_url
    database = Database(settings.database_url, pool_size=10, max_overflow=10)
    yield database
    await database.dispose()


@pytest.fixture
def new_uow(db: Database) -> UowFactory:
    return lambda: UnitOfWork(db.sessions)


@pytest.fixture
async def redis(settings: PlatformSettings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    client = create_redis(settings.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def cache(redis: Redis) -> CatalogCache:
    return CatalogCache(
        redis, gate=asyncio.Semaphore(64), event_ttl=30, list_ttl=10, venue_ttl=3600
    )


@pytest.fixture
def availability(redis: Redis) -> RedisAvailability:
    return RedisAvailability(redis, gate=asyncio.Semaphore(64))


@pytest.fixture
def flights() -> SingleFlight:
    return SingleFlight()


@pytest.fixture
def organizer() -> Principal:
    return Principal(id=str(uuid.uuid4()), role="organizer")


def layout(**sections: list[int]) -> list[SectionDraft]:
    """Sections named by keyword, each a list of row seat counts (rows labelled A, B, …)."""
    return [
        SectionDraft(
            name=name,
            rows=[RowDraft(label=chr(65 + index), seats=count) for index, count in enumerate(rows)],
        )
        for name, rows in sections.items()
    ]


async def make_venue(
    new_uow: UowFactory, cache: CatalogCache, actor: Principal, **sections: list[int]
) -> dict[str, Any]:
    import json

    document = await venue_cases.create_venue(
        uow=new_uow(),
        cache=cache,
        actor=actor,
        name=f"Hall {uuid.uuid4().hex[:8]}",
        address="Seoul",
        sections=layout(**(sections or {"Floor": [3, 2], "Balcony": [3]})),
    )
    venue: dict[str, Any] = json.loads(document)
    return venue


def spec_for(venue: dict[str, Any], **changes: Any) -> EventSpec:
    now = datetime.now(UTC)
    names = [section["name"] for section in venue["sections"]]
    spec = EventSpec(
        title=f"Concert {uuid.uuid4().hex[:8]}",
        description="",
        venue_id=uuid.UUID(venue["id"]),
        starts_at=now + timedelta(days=30),
        ends_at=now + timedelta(days=30, hours=3),
        sale_opens_at=now - timedelta(hours=1),
        sale_closes_at=now + timedelta(days=29),
        grades=(Grade("VIP", "VIP석", 165000), Grade("R", "R석", 99000)),
        seat_grades={name: ("VIP" if index == 0 else "R") for index, name in enumerate(names)},
        max_tickets_per_user=4,
        queue=QueuePolicy(enabled=True, max_active=100, admit_per_second=10),
    )
    return spec.with_changes(changes)


async def make_event(
    new_uow: UowFactory,
    cache: CatalogCache,
    actor: Principal,
    venue: dict[str, Any],
    **changes: Any,
) -> dict[str, Any]:
    return await event_cases.create_event(
        uow=new_uow(), cache=cache, actor=actor, spec=spec_for(venue, **changes)
    )

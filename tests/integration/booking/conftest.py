"""Booking against real PostgreSQL and Redis: a runtime, the Booking use cases, users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.api.booking.conftest import booking_settings
from tiketi.kernel.db import Database, UnitOfWork
from tiketi.kernel.redis import create_redis
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import RedisServer
from tiketi.kernel.tokens import TokenVerifier
from tiketi.services.booking.adapters.cache import SeatMapCache
from tiketi.services.booking.service.common import Booking


async def _no_keys() -> dict[str, object]:
    return {"keys": []}


class RecordingSink:
    """A SeatChangeSink that remembers what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, list[dict[str, object]]]] = []

    async def seats_changed(
        self, event_id: str, version: int, changes: list[dict[str, object]]
    ) -> None:
        self.calls.append((event_id, version, changes))


@pytest.fixture(scope="module")
async def runtime(migrated: PlatformSettings, redis_server: RedisServer) -> AsyncIterator[Runtime]:
    assert migrated.database_url
    # A Redis database of our own, so relaying here sends nothing to other tests' consumers.
    redis_url = f"redis://127.0.0.1:{redis_server.port}/8"
    rt = Runtime(
        settings=migrated.model_copy(update={"redis_url": redis_url}),
        db=Database(migrated.database_url, pool_size=20),
        redis=create_redis(redis_url),
        verifier=TokenVerifier(_no_keys, issuer="tiketi", audience="tiketi"),  # type: ignore[arg-type]
    )
    yield rt
    await rt.redis.aclose()
    await rt.db.dispose()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def booking(runtime: Runtime, sink: RecordingSink) -> Booking:
    settings = booking_settings()
    return Booking(
        settings=settings,
        uow=lambda: UnitOfWork(runtime.db.sessions),
        cache=SeatMapCache(runtime.redis, ttl=settings.snapshot_cache_seconds),
        sink=sink,
    )

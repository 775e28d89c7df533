"""Booking against real PostgreSQL and Redis: a runtime, the Booking use cases, users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.api.booking.conftest import booking_settings
from tests.conftest import open_runtime
from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.booking.adapters.cache import SeatMapCache
from tiketi.services.booking.adapters.lane import Lane
from tiketi.services.booking.service.common import Booking


class RecordingSink:
    """A SeatChangeSink that remembers what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, list[dict[str, object]]]] = []

    async def seats_changed(
        self, event_id: str, version: int, changes: list[dict[str, object]]
    ) -> None:
        self.calls.append((event_id, version, changes))


@pytest.fixture(scope="module")
async def runtime(migrated: PlatformSettings) -> AsyncIterator[Runtime]:
    # A Redis database of our own, so relaying here sends nothing to other tests' consumers.
    async with open_runtime(migrated, redis_db=8, pool_size=20) as rt:
        yield rt


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def booking(runtime: Runtime, sink: RecordingSink) -> AsyncIterator[Booking]:
    settings = booking_settings()
    lane = Lane(runtime.db.engine, size=settings.hold_connections)
    yield Booking(
        settings=settings,
        uow=lambda: UnitOfWork(runtime.db.sessions),
        cache=SeatMapCache(runtime.redis, ttl=settings.snapshot_cache_seconds),
        lane=lane,
        sink=sink,
    )
    await lane.close()

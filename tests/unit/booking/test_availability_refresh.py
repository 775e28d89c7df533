"""Availability recounts: a burst of changes costs a few recounts, and the last one is counted."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from tiketi.services.booking.service import common
from tiketi.services.booking.service.common import AvailabilityRefresher

INTERVAL = 0.1


@pytest.fixture
def recounts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[uuid.UUID, float]]:
    started: list[tuple[uuid.UUID, float]] = []

    async def store(booking: Any, session: Any, event_id: uuid.UUID) -> None:
        started.append((event_id, time.monotonic()))
        await asyncio.sleep(0.01)  # a grouped COUNT takes a moment

    monkeypatch.setattr(common, "store_availability", store)
    return started


def booking() -> Any:
    @contextlib.asynccontextmanager
    async def uow() -> AsyncIterator[Any]:
        yield SimpleNamespace(session=None)

    settings = SimpleNamespace(availability_refresh_seconds=INTERVAL)
    return SimpleNamespace(uow=uow, settings=settings)


async def test_a_burst_costs_a_few_recounts_and_the_last_change_is_counted(
    recounts: list[tuple[uuid.UUID, float]],
) -> None:
    refresher = AvailabilityRefresher(booking())
    event, other = uuid.uuid4(), uuid.uuid4()
    requested = []
    for _ in range(30):  # a change every 10 ms for 0.3 s
        refresher.request(event)
        requested.append(time.monotonic())
        await asyncio.sleep(0.01)
    refresher.request(other)
    await refresher.idle()

    mine = [at for eid, at in recounts if eid == event]
    # One start at once, then at most one per interval while the changes go on (the span is
    # measured: a loaded machine stretches it, and the bound with it).
    span = requested[-1] - requested[0]
    assert 2 <= len(mine) <= span / INTERVAL + 2
    assert all(b - a >= INTERVAL * 0.95 for a, b in itertools.pairwise(mine))
    # Nothing changed after the last recount began: it saw every change.
    assert mine[-1] >= requested[-1]
    # Events do not wait for each other.
    assert [eid for eid, _ in recounts].count(other) == 1

"""Helpers for waiting-room tests: events installed straight into the queue's (and booking's)
tables, settings, a notifier that records what it was told, Redis inspection."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import text

from tests.api.booking.support import published_event
from tiketi.contracts.catalog import EventPublished, QueuePolicyInfo
from tiketi.kernel.db import Database, UnitOfWork
from tiketi.services.booking.adapters.inventory import Inventory
from tiketi.services.queue.adapters.events import EventRows
from tiketi.services.queue.adapters.store import keys
from tiketi.services.queue.settings import QueueSettings

QUEUE_KEY = "test-queue-key-of-at-least-32-bytes"

# Admitted-and-active fans whose admission has not run out, by Redis's own clock.
_LIVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""


def queue_settings(**overrides: object) -> QueueSettings:
    """Test settings: the shared key, no event cache (tests change rows under the room)."""
    values: dict[str, object] = {
        "queue_key": SecretStr(QUEUE_KEY),
        "event_cache_seconds": 0.0,
        "tick_seconds": 0.05,
        "control_seconds": 0.2,
    }
    values.update(overrides)
    return QueueSettings(**values)  # type: ignore[arg-type]


def room(
    *,
    max_active: int = 100,
    rate: float = 1000.0,
    enabled: bool = True,
    opens_in: timedelta = timedelta(hours=-1),
    closes_in: timedelta = timedelta(days=1),
) -> EventPublished:
    """A published event with a small venue and the given waiting-room policy."""
    event = published_event(rows=1, per_row=10, queue=enabled, opens_in=opens_in,
                            closes_in=closes_in)  # fmt: skip
    policy = QueuePolicyInfo(enabled=enabled, max_active=max_active, admit_per_second=rate)
    return event.model_copy(update={"queue": policy})


async def install(db: Database, event: EventPublished, *, booking: bool = False) -> None:
    """Create the event in the queue's tables (and booking's inventory) as the handlers do."""
    async with UnitOfWork(db.sessions) as uow:
        await EventRows(uow.session).create(event)
        if booking:
            await Inventory(uow.session).create_event(event)
        await uow.commit()


async def move_opening(db: Database, event_id: str, *, to: datetime | None = None) -> None:
    """Open the sale now (as an EventUpdated of catalog would)."""
    async with db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE queue.events SET sale_opens_at = :at WHERE id = :id"),
            {"at": to or datetime.now(UTC) - timedelta(milliseconds=1), "id": uuid.UUID(event_id)},
        )


async def live_admissions(redis: Redis, event_id: str) -> int:
    """How many admissions of the event are current right now (Redis's clock)."""
    return int(await redis.eval(_LIVE, 1, keys(event_id)[5]))


async def lose_state(redis: Redis, event_id: str) -> None:
    """What a Redis restart without persistence does to one room."""
    await redis.delete(*keys(event_id))


async def eventually(check: Callable[[], Any], *, timeout: float = 10.0) -> Any:
    """Poll an (async) check until it answers something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


class RecordingNotifier:
    """A QueueNotifier that remembers, and lets tests await, what it was told."""

    def __init__(self) -> None:
        self.sent_admitted: list[tuple[str, dict[str, Any]]] = []
        self.sent_progress: list[tuple[str, dict[str, Any]]] = []
        self.admissions: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def admitted(self, fans: Sequence[tuple[str, dict[str, Any]]]) -> None:
        for user_id, payload in fans:
            self.sent_admitted.append((user_id, payload))
            self.admissions.put_nowait((user_id, payload))

    async def progress(self, event_id: str, payload: dict[str, Any]) -> None:
        self.sent_progress.append((event_id, payload))

    def admitted_users(self) -> list[str]:
        return [user for user, _ in self.sent_admitted]

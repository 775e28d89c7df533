"""Helpers for the stats API suite: waiting for other services' effects, draining stats."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from tiketi.kernel.db import Database
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.streams import drain
from tiketi.services.stats.api.deps import StatsDeps
from tiketi.services.stats.module import stats_subscription
from tiketi.services.stats.settings import StatsSettings


async def until(check: Callable[[], Awaitable[bool]], what: str, *, tries: int = 400) -> None:
    """Wait for another service's asynchronous effect (bounded; fails if it never comes)."""
    for _ in range(tries):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def scalar(db: Database, query: str, **params: Any) -> Any:
    async with db.engine.connect() as conn:
        return (await conn.execute(sa.text(query), params)).scalar()


async def outboxes_sent(db: Database) -> bool:
    """Booking's and payment's outboxes hold nothing unsent."""
    unsent = await scalar(
        db,
        "SELECT (SELECT count(*) FROM booking.outbox WHERE published_at IS NULL)"
        " + (SELECT count(*) FROM payment.outbox WHERE published_at IS NULL)",
    )
    return int(unsent) == 0


async def drain_stats(runtime: Runtime) -> None:
    """Consume the `stats` group until nothing is new or pending (beside the server's own
    consumer, which acknowledges what it took)."""
    async with asyncio.timeout(60):
        await drain(
            runtime,
            stats_subscription(StatsDeps(settings=StatsSettings())),
            consumer_name="stats-test-drain",
        )

"""`tiketi stats rebuild`: empty the fact tables and replay every stream from the start."""

from __future__ import annotations

import contextlib
import uuid

import sqlalchemy as sa
import structlog
from redis.exceptions import ResponseError

from tiketi.kernel.outbox import processed_events_table
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.streams import ConsumeStats, Subscription, drain
from tiketi.services.stats.adapters.orm import SCHEMA
from tiketi.services.stats.adapters.projection import Projection
from tiketi.services.stats.service.projection import stats_handlers

log = structlog.get_logger("tiketi.stats")

REBUILD_GROUP_PREFIX = "stats-rebuild-"


async def rebuild(runtime: Runtime) -> ConsumeStats:
    """Rebuild stats' tables from every message still in the streams; what was replayed.

    A fresh consumer group reads each stream from its first message. The live `stats` group
    may keep consuming meanwhile: every handler only sets facts, so a message applied by both
    (or applied live before the tables were emptied and replayed after) ends the same.
    """
    subscription = Subscription(
        group=f"{REBUILD_GROUP_PREFIX}{uuid.uuid4().hex[:12]}",
        schema=SCHEMA,
        handlers=stats_handlers(),
        batch=500,
        claim_idle_ms=1000,
        transaction_per_read=True,
    )
    async with runtime.db.sessions() as session, session.begin():
        await Projection(session).clear()
    try:
        done = await drain(runtime, subscription)
    finally:
        await _forget(runtime, subscription)
    log.info("stats_rebuilt", applied=done.applied, dead=done.dead)
    return done


async def _forget(runtime: Runtime, subscription: Subscription) -> None:
    """Drop the one-off group and its processed ids: nothing will read them again."""
    for stream in subscription.streams:
        with contextlib.suppress(ResponseError):  # the group was never made on it
            await runtime.redis.xgroup_destroy(stream, subscription.group)
    processed = processed_events_table(SCHEMA)
    async with runtime.db.sessions() as session, session.begin():
        await session.execute(
            sa.delete(processed).where(processed.c.consumer == subscription.group)
        )

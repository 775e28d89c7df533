"""The outbox relay: unpublished outbox rows sent to their Redis Streams, in every replica."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.kernel import metrics
from tiketi.kernel.outbox import outbox_table
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.streams import raise_if_cancelled, stream_name

log = structlog.get_logger("tiketi.events")

# Published rows are kept a while for forensics, then pruned so the table stays small.
OUTBOX_RETENTION = timedelta(days=7)
PRUNE_EVERY_SECONDS = 600.0


def _entry(row: sa.Row[Any]) -> dict[str, str]:
    """The stream fields of one outbox row (decoded by consumers, readable in redis-cli)."""
    payload: dict[str, Any] = row.payload
    return {
        "event_id": str(row.event_id),
        "event_type": row.event_type,
        "version": str(row.version),
        "occurred_at": str(payload.get("occurred_at", "")),
        "payload": json.dumps(payload, separators=(",", ":")),
    }


async def _mark_published(session: AsyncSession, table: sa.Table, ids: Sequence[int]) -> None:
    await session.execute(
        sa.update(table).where(table.c.id.in_(ids)).values(published_at=sa.func.now())
    )


async def relay_batch(
    runtime: Runtime, *, schema: str, batch: int = 100, maxlen: int | None = None
) -> int:
    """Send one batch of unpublished `<schema>.outbox` rows to their streams; how many were sent."""
    table = outbox_table(schema)
    async with runtime.db.sessions() as session, session.begin():
        # SKIP LOCKED lets several replicas relay at once: each takes rows no other holds.
        # The rows stay locked until the commit below, so no two relays send the same row.
        # Order is by id within a batch; across concurrent relays (and for rows whose
        # transactions commit out of id order) it is best effort, which idempotent consumers
        # tolerate.
        rows = (
            await session.execute(
                sa.select(table)
                .where(table.c.published_at.is_(None))
                .order_by(table.c.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        # A pipeline, not MULTI: the streams may live on different shards, and a partial send
        # is harmless because the rows stay unpublished and are sent again.
        async with runtime.redis.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.xadd(
                    stream_name(row.event_type),
                    _entry(row),  # type: ignore[arg-type]
                    maxlen=maxlen,
                    approximate=True,
                )
            await pipe.execute()
        # A crash here re-sends the batch: at-least-once, deduplicated by consumers.
        await _mark_published(session, table, [row.id for row in rows])
    for row in rows:
        metrics.EVENTS_PUBLISHED.labels(row.event_type).inc()
    log.debug("events_relayed", schema=schema, count=len(rows))
    return len(rows)


async def relay_outbox(
    runtime: Runtime,
    *,
    schema: str,
    batch: int = 100,
    idle_sleep: float = 0.2,
    maxlen: int | None = None,
) -> None:
    """Relay `<schema>.outbox` to Redis Streams forever; safe to run in every replica.

    Streams are not trimmed by default because a new consumer group (a `stats rebuild`)
    replays them from the start; `maxlen` caps each stream approximately when that history is
    kept elsewhere. Polling a partial index every `idle_sleep` seconds costs little and needs
    no dedicated LISTEN connection to watch for disconnects.
    """
    log.info("relay_started", schema=schema)
    pruned_at = time.monotonic()
    while True:
        raise_if_cancelled()
        sent = await relay_batch(runtime, schema=schema, batch=batch, maxlen=maxlen)
        if time.monotonic() - pruned_at > PRUNE_EVERY_SECONDS:
            await prune_outbox(runtime, schema=schema)
            pruned_at = time.monotonic()
        if sent < batch:
            await asyncio.sleep(idle_sleep)


async def prune_outbox(
    runtime: Runtime, *, schema: str, older_than: timedelta = OUTBOX_RETENTION
) -> int:
    """Delete rows published longer ago than `older_than`; how many were deleted."""
    table = outbox_table(schema)
    async with runtime.db.sessions() as session, session.begin():
        result = await session.execute(
            sa.delete(table).where(table.c.published_at < sa.func.now() - older_than)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

"""The event bus: outbox rows relayed to Redis Streams, read by idempotent consumer groups.

Delivery is at-least-once end to end (a relay may crash between XADD and its commit and send
again; a consumer may crash between its commit and XACK and be given the message again).
Effects are exactly-once because a consumer records `(group, event_id)` in its own
`<schema>.processed_events` in the same transaction as the handler's effects.
Only Redis 6.2 commands are used (XAUTOCLAIM, XPENDING ranges; nothing from Redis 7).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import structlog
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.events import IntegrationEvent, decode, event_class
from tiketi.kernel import metrics
from tiketi.kernel.outbox import dead_events_table, processed_events_table
from tiketi.kernel.runtime import Runtime

log = structlog.get_logger("tiketi.events")

# One stream per event type, not one per producer: consumers subscribe by type, so a service
# reads only the events it handles, and a type keeps its stream if another service takes over
# producing it. On Redis Cluster the streams of one subscription would need a shared hash tag
# (one XREADGROUP reads them all); the platform's client is a single-node/replicated one.
STREAM_PREFIX = "tiketi:events:"

# The event parameter is Any so a handler may declare the concrete class it is registered for
# (`async def on_registered(event: UserRegistered, session)`); the kernel only ever calls it
# with an instance of that class. Callable parameters are contravariant, so typing it as
# IntegrationEvent would reject exactly those handlers.
Handler = Callable[[Any, AsyncSession], Awaitable[None]]


def raise_if_cancelled() -> None:
    """Honour a cancellation that a driver swallowed (redis-py can, when it lands mid-command).

    Every background loop calls this each turn, or shutdown could wait on it forever.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def stream_name(event_type: str) -> str:
    """The Redis stream that carries every event of one type."""
    return STREAM_PREFIX + event_type


@dataclass(frozen=True)
class Subscription:
    """A consumer group: which event types it handles, where it records them, how it retries.

    A failed message stays pending and is retried once idle for `claim_idle_ms` (so that is
    also the retry back-off); after `max_attempts` deliveries it goes to `<schema>.dead_events`.
    Keep `block_ms` below the Redis client's socket timeout.
    """

    group: str
    schema: str
    handlers: Mapping[type[IntegrationEvent], Handler]
    max_attempts: int = 5
    claim_idle_ms: int = 30000
    batch: int = 50
    block_ms: int = 1000
    # True: the messages of one read are applied in one transaction (each event id still
    # recorded once, beside its effects), and acknowledged with one XACK per stream. For
    # groups whose handlers are short and independent (a projection): one commit per read
    # instead of one per message. If any handler fails, that read is applied again one
    # message per transaction, so one bad message never holds back the others.
    transaction_per_read: bool = False

    def __post_init__(self) -> None:
        if not self.handlers or self.max_attempts < 1:
            raise ValueError("a subscription needs a handler and max_attempts >= 1")

    @property
    def streams(self) -> list[str]:
        """The streams this group reads."""
        return [stream_name(cls.event_type) for cls in self.handlers]


@dataclass
class ConsumeStats:
    """What a consumer did with the messages it was given."""

    applied: int = 0
    duplicates: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def handled(self) -> int:
        """Messages given to this consumer, whatever their outcome."""
        return self.applied + self.duplicates + self.failed + self.dead


@dataclass(frozen=True)
class _Delivery:
    stream: str
    message_id: str
    fields: Mapping[str, str]
    deliveries: int


class _Undecodable(Exception):
    """A message no handler can ever accept: unknown type, newer version, bad payload."""


def default_consumer_name() -> str:
    """hostname-pid: unique per process, and a pod's hostname names it in XINFO."""
    return f"{socket.gethostname()}-{os.getpid()}"


def _is_outage(exc: BaseException) -> bool:
    """True when PostgreSQL or Redis is unreachable: that is no reason to spend an attempt.

    The consumer then stops (its supervisor backs off); should a handler's own OSError be
    taken for an outage, the delivery count still ends it in dead letters.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError | RedisConnectionError | RedisTimeoutError | InterfaceError):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__
    return False


def _stream_entries(reply: Any) -> Iterable[tuple[str, str, Mapping[str, str] | None]]:
    """Flatten an XREADGROUP reply (RESP2 list or RESP3 map) into (stream, id, fields)."""
    items = reply.items() if isinstance(reply, dict) else (reply or [])
    for stream, entries in items:
        for entry in entries:
            yield stream, entry[0], entry[1]


class _Consumer:
    """One named consumer of one group: reads, claims, applies, acknowledges, dead-letters."""

    def __init__(self, runtime: Runtime, subscription: Subscription, name: str) -> None:
        self.redis = runtime.redis
        self.sessions = runtime.db.sessions
        self.sub = subscription
        self.name = name
        self.processed = processed_events_table(subscription.schema)
        self.dead = dead_events_table(subscription.schema)
        self.stats = ConsumeStats()

    async def ensure_groups(self) -> None:
        """Create the group on each stream, reading from the very first message."""
        for stream in self.sub.streams:
            try:
                await self.redis.xgroup_create(stream, self.sub.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def pending(self) -> int:
        """Messages delivered to the group (any consumer) and not yet acknowledged."""
        total = 0
        for stream in self.sub.streams:
            summary = await self.redis.xpending(stream, self.sub.group)
            total += int(summary["pending"])
        return total

    async def step(self, *, block_ms: int | None) -> int:
        """Retry stale pending messages, then take new ones; how many were handled."""
        deliveries = await self._claim_stale()
        deliveries += await self._read_new(None if deliveries else block_ms)
        return await self._process(deliveries)

    async def recover_own(self) -> int:
        """Handle what this consumer name was given and never acknowledged (an earlier run of
        the same host and pid, e.g. an in-process app stopped mid-batch), without waiting for
        the stale-claim delay."""
        reply = await self.redis.xreadgroup(
            self.sub.group, self.name, dict.fromkeys(self.sub.streams, "0"), count=self.sub.batch
        )
        deliveries = [
            _Delivery(stream, message_id, fields, 1)
            for stream, message_id, fields in _stream_entries(reply)
            if message_id and fields is not None
        ]
        return await self._process(deliveries)

    async def _process(self, deliveries: list[_Delivery]) -> int:
        if self.sub.transaction_per_read and len(deliveries) > 1:
            outcomes = await self._handle_read(deliveries)
        else:
            outcomes = [(delivery, await self._handle(delivery)) for delivery in deliveries]
        for delivery, outcome in outcomes:
            self._count(delivery, outcome)
        return len(deliveries)

    def _count(self, delivery: _Delivery, outcome: str) -> None:
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        # Label by stream, not by the message's own claim: a bounded set of label values.
        event_type = delivery.stream.removeprefix(STREAM_PREFIX)
        metrics.EVENTS_CONSUMED.labels(self.sub.group, event_type, outcome).inc()

    async def _handle_read(self, deliveries: list[_Delivery]) -> list[tuple[_Delivery, str]]:
        """Apply a read's messages in one transaction (transaction_per_read); on a handler's
        failure, apply them again one by one as `_handle` does."""
        outcomes: list[tuple[_Delivery, str]] = []
        ready: list[tuple[_Delivery, IntegrationEvent, Handler]] = []
        for delivery in deliveries:
            try:
                event, handler = self._decode(delivery)
            except _Undecodable as exc:
                await self._dead_letter(delivery, f"undecodable: {exc}")
                outcomes.append((delivery, "dead"))
                continue
            if delivery.deliveries > self.sub.max_attempts:
                await self._dead_letter(delivery, "no outcome after repeated deliveries")
                outcomes.append((delivery, "dead"))
                continue
            ready.append((delivery, event, handler))
        if not ready:
            return outcomes
        try:
            applied = await self._apply_all([(event, handler) for _, event, handler in ready])
        except Exception as exc:
            if _is_outage(exc):
                raise
            log.info("event_batch_split", group=self.sub.group, size=len(ready), error=str(exc))
            return outcomes + [(d, await self._handle(d)) for d, _, _ in ready]
        await self._ack_all([delivery for delivery, _, _ in ready])
        return outcomes + [
            (d, "applied" if i in applied else "duplicates") for i, (d, _, _) in enumerate(ready)
        ]

    async def _apply_all(self, events: list[tuple[IntegrationEvent, Handler]]) -> set[int]:
        """Record every new event id and run its handler, all in one transaction; the
        positions of the events applied (a repeat inside the read, or an id seen before, is
        skipped)."""
        async with self.sessions() as session, session.begin():
            ids = list(dict.fromkeys(event.message_id for event, _ in events))
            inserted = await session.execute(
                pg_insert(self.processed)
                .values([{"consumer": self.sub.group, "event_id": mid} for mid in ids])
                .on_conflict_do_nothing()
                .returning(self.processed.c.event_id)
            )
            pending = {row[0] for row in inserted.all()}
            applied: set[int] = set()
            for position, (event, handler) in enumerate(events):
                if event.message_id in pending:
                    pending.discard(event.message_id)
                    await handler(event, session)
                    applied.add(position)
        return applied

    async def _ack_all(self, deliveries: list[_Delivery]) -> None:
        by_stream: dict[str, list[str]] = {}
        for delivery in deliveries:
            by_stream.setdefault(delivery.stream, []).append(delivery.message_id)
        for stream, ids in by_stream.items():
            await self.redis.xack(stream, self.sub.group, *ids)

    async def _read_new(self, block_ms: int | None) -> list[_Delivery]:
        reply = await self.redis.xreadgroup(
            self.sub.group,
            self.name,
            dict.fromkeys(self.sub.streams, ">"),
            count=self.sub.batch,
            block=block_ms,
        )
        return [
            _Delivery(stream, message_id, fields, 1)
            for stream, message_id, fields in _stream_entries(reply)
            if message_id and fields is not None
        ]

    async def _claim_stale(self) -> list[_Delivery]:
        """Take over messages pending too long: this consumer's failures or a dead consumer's."""
        claimed: list[_Delivery] = []
        for stream in self.sub.streams:
            # XAUTOCLAIM answers [cursor, entries] on 6.2 and adds deleted ids on 7; [1] is both.
            reply = await self.redis.xautoclaim(
                stream,
                self.sub.group,
                self.name,
                min_idle_time=self.sub.claim_idle_ms,
                start_id="0-0",
                count=self.sub.batch,
            )
            entries = [(mid, fields) for mid, fields in reply[1] if mid and fields is not None]
            if not entries:
                continue
            # XAUTOCLAIM does not say how often a message was delivered; XPENDING does.
            async with self.redis.pipeline(transaction=False) as pipe:
                for mid, _ in entries:
                    pipe.xpending_range(stream, self.sub.group, min=mid, max=mid, count=1)
                counts = await pipe.execute()
            for (mid, fields), info in zip(entries, counts, strict=True):
                deliveries = int(info[0]["times_delivered"]) if info else 1
                claimed.append(_Delivery(stream, mid, fields, deliveries))
        return claimed

    def _decode(self, delivery: _Delivery) -> tuple[IntegrationEvent, Handler]:
        fields = delivery.fields
        try:
            cls = event_class(fields.get("event_type", ""))
            handler = self.sub.handlers[cls]
            version = int(fields.get("version", "0"))
            # Older versions are still tried (a replay reads history); a newer one may mean
            # something this code does not know yet.
            if version > cls.version:
                raise _Undecodable(f"version {version} is newer than {cls.version}")
            event = decode(cls.event_type, json.loads(fields["payload"]))
        except (KeyError, ValueError, TypeError, ValidationError) as exc:
            raise _Undecodable(f"{type(exc).__name__}: {exc}") from exc
        return event, handler

    async def _handle(self, delivery: _Delivery) -> str:
        """Apply one message at most once; the outcome is a ConsumeStats field name."""
        try:
            event, handler = self._decode(delivery)
        except _Undecodable as exc:
            await self._dead_letter(delivery, f"undecodable: {exc}")
            return "dead"
        if delivery.deliveries > self.sub.max_attempts:
            # Delivered that often with no outcome recorded: consumers died while handling it.
            await self._dead_letter(delivery, "no outcome after repeated deliveries")
            return "dead"
        try:
            applied = await self._apply(event, handler)
        except Exception as exc:
            if _is_outage(exc):
                raise  # the supervisor backs off; the message stays pending for a retry
            log.warning(
                "event_handler_failed",
                group=self.sub.group,
                event_type=event.event_type,
                event_id=str(event.message_id),
                attempt=delivery.deliveries,
                exc_info=True,
            )
            if delivery.deliveries >= self.sub.max_attempts:
                await self._dead_letter(delivery, f"{type(exc).__name__}: {exc}")
                return "dead"
            return "failed"
        await self.ack(delivery)
        return "applied" if applied else "duplicates"

    async def _apply(self, event: IntegrationEvent, handler: Handler) -> bool:
        """Record the event id and run the handler in one transaction; False if seen before."""
        async with self.sessions() as session, session.begin():
            # A concurrent consumer inserting the same id waits on the primary key here until
            # this transaction ends, then finds the row and skips: never two effects.
            first = await session.execute(
                pg_insert(self.processed)
                .values(consumer=self.sub.group, event_id=event.message_id)
                .on_conflict_do_nothing()
                .returning(self.processed.c.event_id)
            )
            if first.first() is None:
                return False
            await handler(event, session)
        return True

    async def ack(self, delivery: _Delivery) -> None:
        """Acknowledge a message: the group will not deliver it again."""
        await self.redis.xack(delivery.stream, self.sub.group, delivery.message_id)

    async def _dead_letter(self, delivery: _Delivery, error: str) -> None:
        fields = delivery.fields
        try:
            payload = json.loads(fields.get("payload", ""))
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            payload = {"raw": fields.get("payload")}
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.insert(self.dead).values(
                    consumer=self.sub.group,
                    event_id=(fields.get("event_id") or delivery.message_id)[:64],
                    event_type=fields.get("event_type", "?")[:100],
                    payload=payload,
                    error=error[:4000],
                    attempts=delivery.deliveries,
                )
            )
        await self.ack(delivery)
        log.error(
            "event_dead_lettered",
            group=self.sub.group,
            stream=delivery.stream,
            message_id=delivery.message_id,
            attempts=delivery.deliveries,
            error=error,
        )


async def consume(
    runtime: Runtime,
    subscription: Subscription,
    *,
    consumer_name: str | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run one consumer of `subscription` until `stop` is set (seen within `block_ms`)."""
    consumer = _Consumer(runtime, subscription, consumer_name or default_consumer_name())
    await consumer.ensure_groups()
    await consumer.recover_own()
    log.info("consumer_started", group=subscription.group, consumer=consumer.name)
    while stop is None or not stop.is_set():
        raise_if_cancelled()
        try:
            await consumer.step(block_ms=subscription.block_ms)
        except ResponseError as exc:
            # The stream or group vanished (Redis restarted without persistence, or a blocked
            # read was told so): recreate it and go on with what is sent from now on.
            if not str(exc).startswith(("NOGROUP", "UNBLOCKED")):
                raise
            log.warning("consumer_group_recreated", group=subscription.group, error=str(exc))
            await consumer.ensure_groups()
    log.info("consumer_stopped", group=subscription.group, consumer=consumer.name)


async def drain(
    runtime: Runtime, subscription: Subscription, *, consumer_name: str | None = None
) -> ConsumeStats:
    """Consume until the group has nothing new and nothing pending; what was done.

    For tests and one-off jobs such as `stats rebuild` (a fresh group name replays every
    stream from the start). Failed messages are retried once idle for `claim_idle_ms`, so
    drain waits until they are applied or dead-lettered; bound it with `asyncio.timeout`.
    """
    consumer = _Consumer(runtime, subscription, consumer_name or default_consumer_name())
    await consumer.ensure_groups()
    pause = max(0.005, min(0.05, subscription.claim_idle_ms / 1000))
    while True:
        raise_if_cancelled()
        if await consumer.step(block_ms=None):
            continue
        if await consumer.pending() == 0:
            return consumer.stats
        await asyncio.sleep(pause)

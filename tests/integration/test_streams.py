"""The event bus on real PostgreSQL and Redis: outbox → relay → streams → idempotent consumers."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any, cast

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.auth import UserRegistered
from tiketi.kernel import relay, streams
from tiketi.kernel.db import Database, UnitOfWork
from tiketi.kernel.outbox import (
    create_outbox_tables,
    dead_events_table,
    outbox_table,
    publish,
)
from tiketi.kernel.redis import create_redis
from tiketi.kernel.relay import prune_outbox, relay_batch, relay_outbox
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.streams import Subscription, consume, drain
from tiketi.kernel.testing.servers import RedisServer
from tiketi.kernel.tokens import TokenVerifier

SCHEMA = "streams_test"
STREAM = streams.stream_name("UserRegistered")
# Effects of the handlers under test; deliberately without a unique key, so a double effect
# shows up as a second row instead of an error.
EFFECTS = sa.Table(
    "effects",
    sa.MetaData(),
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("tag", sa.String(50), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("user_id", sa.String(50), nullable=False),
    sa.Column("worker", sa.String(50), nullable=False),
    schema=SCHEMA,
)


def _create_tables(connection: sa.Connection) -> None:
    create_outbox_tables(Operations(MigrationContext.configure(connection)), SCHEMA)
    EFFECTS.create(connection)


async def _no_keys() -> dict[str, Any]:
    return {"keys": []}


@pytest.fixture(scope="module")
async def runtime(
    base_settings: PlatformSettings, redis_server: RedisServer
) -> AsyncIterator[Runtime]:
    assert base_settings.database_url
    db = Database(base_settings.database_url)
    # A Redis database of our own: apps in other tests relay UserRegistered into database 0.
    redis_url = f"redis://127.0.0.1:{redis_server.port}/9"
    async with db.engine.begin() as conn:
        await conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
        await conn.run_sync(_create_tables)
    rt = Runtime(
        settings=base_settings.model_copy(update={"redis_url": redis_url}),
        db=db,
        redis=create_redis(redis_url),
        verifier=TokenVerifier(_no_keys, issuer="tiketi", audience="tiketi"),
    )
    yield rt
    async with db.engine.begin() as conn:
        await conn.execute(sa.text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    await rt.redis.aclose()
    await db.dispose()


@pytest.fixture(autouse=True)
async def clean(runtime: Runtime) -> None:
    async with runtime.db.engine.begin() as conn:
        await conn.execute(
            sa.text(
                f"TRUNCATE {SCHEMA}.outbox, {SCHEMA}.processed_events, {SCHEMA}.dead_events,"
                f" {SCHEMA}.effects"
            )
        )
    await runtime.redis.flushdb()


# ------------------------------------------------------------------------------------ helpers


def recorder(tag: str) -> Callable[[UserRegistered, AsyncSession], Awaitable[None]]:
    """A handler whose effect is a row in `effects`, written in the kernel's transaction."""

    async def handle(event: UserRegistered, session: AsyncSession) -> None:
        task = asyncio.current_task()
        await session.execute(
            sa.insert(EFFECTS).values(
                tag=tag,
                event_id=event.message_id,
                user_id=event.user_id,
                worker=task.get_name() if task else "?",
            )
        )

    return handle


def subscription(group: str = "g", handler: Any = None, **options: Any) -> Subscription:
    return Subscription(
        group=group, schema=SCHEMA, handlers={UserRegistered: handler or recorder(group)}, **options
    )


async def publish_users(runtime: Runtime, count: int, prefix: str = "u") -> list[UserRegistered]:
    events = [
        UserRegistered(user_id=f"{prefix}{i}", email=f"{prefix}{i}@example.com", name=f"U {i}")
        for i in range(count)
    ]
    async with UnitOfWork(runtime.db.sessions) as uow:
        await publish(uow.session, SCHEMA, *events)
        await uow.commit()
    return events


async def effects(runtime: Runtime, tag: str | None = None) -> list[sa.Row[Any, Any]]:
    query = sa.select(EFFECTS.c.user_id, EFFECTS.c.worker).order_by(EFFECTS.c.id)
    if tag is not None:
        query = query.where(EFFECTS.c.tag == tag)
    async with runtime.db.sessions() as session:
        return list((await session.execute(query)).all())


async def user_ids(runtime: Runtime, tag: str | None = None) -> list[str]:
    return [row.user_id for row in await effects(runtime, tag)]


async def unpublished(runtime: Runtime) -> int:
    table = outbox_table(SCHEMA)
    async with runtime.db.sessions() as session:
        query = sa.select(sa.func.count()).where(table.c.published_at.is_(None))
        return int((await session.execute(query)).scalar_one())


async def dead_letters(runtime: Runtime) -> list[sa.Row[Any]]:
    table = dead_events_table(SCHEMA)
    async with runtime.db.sessions() as session:
        return list((await session.execute(sa.select(table).order_by(table.c.id))).all())


async def pending(runtime: Runtime, group: str = "g") -> int:
    return int((await runtime.redis.xpending(STREAM, group))["pending"])


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Poll a condition that lives in PostgreSQL or Redis (no event to wait on)."""
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 - the condition is in a database
            await asyncio.sleep(0.02)


async def stream_entries(runtime: Runtime, start: str = "-") -> list[tuple[str, dict[str, str]]]:
    return cast(list[tuple[str, dict[str, str]]], await runtime.redis.xrange(STREAM, min=start))


# -------------------------------------------------------------------------------------- relay


async def test_relay_sends_each_outbox_row_once_to_its_type_stream(runtime: Runtime) -> None:
    events = await publish_users(runtime, 3)

    assert await relay_batch(runtime, schema=SCHEMA) == 3
    assert await relay_batch(runtime, schema=SCHEMA) == 0

    assert STREAM == "tiketi:events:UserRegistered"
    entries = await stream_entries(runtime)
    assert [fields["event_id"] for _, fields in entries] == [str(e.message_id) for e in events]
    first = entries[0][1]
    assert first["event_type"] == "UserRegistered"
    assert first["version"] == "1"
    assert first["occurred_at"] == events[0].model_dump(mode="json")["occurred_at"]
    assert UserRegistered.model_validate(json.loads(first["payload"])) == events[0]
    assert await unpublished(runtime) == 0


async def test_rolled_back_transaction_publishes_nothing(runtime: Runtime) -> None:
    async with UnitOfWork(runtime.db.sessions) as uow:
        await publish(uow.session, SCHEMA, UserRegistered(user_id="x", email="x@x.io", name="X"))
        # no commit: leaving the unit of work rolls the event back with everything else

    assert await relay_batch(runtime, schema=SCHEMA) == 0
    assert await runtime.redis.xlen(STREAM) == 0


async def test_relay_crash_before_commit_resends_and_consumers_apply_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await publish_users(runtime, 3)

    async def crash(*args: object) -> None:
        raise RuntimeError("relay died after XADD, before marking the rows published")

    with monkeypatch.context() as patch:
        patch.setattr(relay, "_mark_published", crash)
        with pytest.raises(RuntimeError):
            await relay_batch(runtime, schema=SCHEMA)
    assert await runtime.redis.xlen(STREAM) == 3
    assert await unpublished(runtime) == 3

    assert await relay_batch(runtime, schema=SCHEMA) == 3
    assert await runtime.redis.xlen(STREAM) == 6  # every event is in the stream twice

    stats = await drain(runtime, subscription())
    assert (stats.applied, stats.duplicates) == (3, 3)
    assert sorted(await user_ids(runtime)) == ["u0", "u1", "u2"]


async def test_concurrent_relays_publish_each_event_exactly_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    for batch in range(20):
        await publish_users(runtime, 10, prefix=f"b{batch}-")
    senders: Counter[str] = Counter()
    mark = relay._mark_published

    async def counting_mark(session: AsyncSession, table: sa.Table, ids: Any) -> None:
        task = asyncio.current_task()
        senders[task.get_name() if task else "?"] += len(ids)
        await mark(session, table, ids)

    monkeypatch.setattr(relay, "_mark_published", counting_mark)
    relays = [
        asyncio.create_task(
            relay_outbox(runtime, schema=SCHEMA, batch=7, idle_sleep=0.005), name=f"relay-{i}"
        )
        for i in range(3)
    ]
    try:
        await until(lambda: _equals(unpublished(runtime), 0))
    finally:
        for task in relays:
            task.cancel()
        await asyncio.gather(*relays, return_exceptions=True)

    entries = await stream_entries(runtime)
    sent_ids = [fields["event_id"] for _, fields in entries]
    assert len(sent_ids) == 200
    assert len(set(sent_ids)) == 200
    assert sum(senders.values()) == 200
    assert len(senders) >= 2, senders  # the relays really did share the work


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


# ------------------------------------------------------------------------------------ consume


async def test_consumer_applies_each_event_once_and_acks(runtime: Runtime) -> None:
    await publish_users(runtime, 5)
    await relay_batch(runtime, schema=SCHEMA)

    stats = await drain(runtime, subscription())

    assert (stats.applied, stats.duplicates, stats.failed, stats.dead) == (5, 0, 0, 0)
    assert sorted(await user_ids(runtime)) == [f"u{i}" for i in range(5)]
    assert await pending(runtime) == 0
    assert (await drain(runtime, subscription())).handled == 0


async def test_consumer_killed_mid_batch_resumes_without_double_effects(
    runtime: Runtime,
) -> None:
    await publish_users(runtime, 6)
    await relay_batch(runtime, schema=SCHEMA)
    reached, never = asyncio.Event(), asyncio.Event()
    record = recorder("g")

    async def hang_on_third(event: UserRegistered, session: AsyncSession) -> None:
        await record(event, session)
        if event.user_id == "u2":
            reached.set()
            await never.wait()  # the process dies here, inside the transaction

    sub = subscription(handler=hang_on_third, batch=10, block_ms=50)
    task = asyncio.create_task(consume(runtime, sub, consumer_name="dies"))
    async with asyncio.timeout(5):
        await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await user_ids(runtime) == ["u0", "u1"]  # u2's transaction rolled back
    assert await pending(runtime) == 4  # u2..u5 were read but never acknowledged

    stats = await drain(runtime, replace(sub, handlers={UserRegistered: record}, claim_idle_ms=0))

    assert stats.applied == 4
    assert sorted(await user_ids(runtime)) == [f"u{i}" for i in range(6)]
    assert await pending(runtime) == 0


async def test_consumer_crash_between_commit_and_ack_is_deduplicated(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await publish_users(runtime, 3)
    await relay_batch(runtime, schema=SCHEMA)
    sub = subscription(claim_idle_ms=0)

    async def lose_connection(*args: object) -> None:
        raise RedisConnectionError("connection lost before XACK")

    with monkeypatch.context() as patch:
        patch.setattr(streams._Consumer, "ack", lose_connection)
        with pytest.raises(RedisConnectionError):  # an outage stops the consumer
            await drain(runtime, sub, consumer_name="first")
    assert await user_ids(runtime) == ["u0"]
    assert await pending(runtime) == 3

    stats = await drain(runtime, sub, consumer_name="second")

    assert (stats.applied, stats.duplicates) == (2, 1)
    assert sorted(await user_ids(runtime)) == ["u0", "u1", "u2"]


async def test_failing_handler_is_retried_then_dead_lettered(runtime: Runtime) -> None:
    await publish_users(runtime, 3)
    await relay_batch(runtime, schema=SCHEMA)
    calls: Counter[str] = Counter()
    record = recorder("g")

    async def fails_for_u1(event: UserRegistered, session: AsyncSession) -> None:
        calls[event.user_id] += 1
        await record(event, session)  # rolled back with the failure below
        if event.user_id == "u1":
            raise ValueError("cannot handle u1")

    stats = await drain(
        runtime, subscription(handler=fails_for_u1, max_attempts=3, claim_idle_ms=5)
    )

    assert calls == {"u0": 1, "u1": 3, "u2": 1}
    assert (stats.applied, stats.failed, stats.dead) == (2, 2, 1)
    assert sorted(await user_ids(runtime)) == ["u0", "u2"]
    [dead] = await dead_letters(runtime)
    assert (dead.consumer, dead.event_type, dead.attempts) == ("g", "UserRegistered", 3)
    assert "ValueError: cannot handle u1" in dead.error
    assert dead.payload["user_id"] == "u1"
    assert await pending(runtime) == 0


async def test_a_read_applied_in_one_transaction_keeps_effects_exactly_once(
    runtime: Runtime,
) -> None:
    """transaction_per_read: one commit for a read, each event id still applied once; a
    handler's failure splits the read into one transaction per message, so only that message
    is retried and dead-lettered."""
    events = await publish_users(runtime, 6)
    await relay_batch(runtime, schema=SCHEMA)
    # A relay that re-sent two messages: the same event ids again, in the same read.
    for event in events[:2]:
        payload = event.model_dump(mode="json")
        await runtime.redis.xadd(STREAM, {
            "event_id": str(event.message_id), "event_type": event.event_type,
            "version": str(event.version), "occurred_at": str(payload["occurred_at"]),
            "payload": json.dumps(payload),
        })  # fmt: skip
    transactions: set[int] = set()
    record = recorder("g")

    async def counting(event: UserRegistered, session: AsyncSession) -> None:
        transactions.add(id(session))
        await record(event, session)

    stats = await drain(runtime, subscription(handler=counting, transaction_per_read=True))

    assert (stats.applied, stats.duplicates, stats.failed, stats.dead) == (6, 2, 0, 0)
    assert sorted(await user_ids(runtime)) == [f"u{i}" for i in range(6)]
    assert len(transactions) == 1
    assert await pending(runtime) == 0

    await publish_users(runtime, 3, prefix="v")
    await relay_batch(runtime, schema=SCHEMA)
    calls: Counter[str] = Counter()

    async def fails_for_v1(event: UserRegistered, session: AsyncSession) -> None:
        calls[event.user_id] += 1
        await record(event, session)
        if event.user_id == "v1":
            raise ValueError("cannot handle v1")

    sub = subscription(
        handler=fails_for_v1, transaction_per_read=True, max_attempts=2, claim_idle_ms=5
    )
    stats = await drain(runtime, sub)

    # v0 ran in the read that failed (rolled back), then on its own; v2 came after the
    # failure in that read, so only on its own; v1 failed in the read, alone, then once more.
    assert calls == {"v0": 2, "v1": 3, "v2": 1}
    assert (stats.applied, stats.failed, stats.dead) == (2, 1, 1)
    assert sorted(u for u in await user_ids(runtime) if u.startswith("v")) == ["v0", "v2"]
    [dead] = await dead_letters(runtime)
    assert dead.payload["user_id"] == "v1" and dead.attempts == 2
    assert await pending(runtime) == 0


async def test_transient_failure_is_retried_until_it_succeeds(runtime: Runtime) -> None:
    await publish_users(runtime, 1)
    await relay_batch(runtime, schema=SCHEMA)
    calls = 0
    record = recorder("g")

    async def flaky(event: UserRegistered, session: AsyncSession) -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RuntimeError("downstream hiccup")
        await record(event, session)

    stats = await drain(runtime, subscription(handler=flaky, max_attempts=5, claim_idle_ms=5))

    assert (stats.applied, stats.failed, stats.dead) == (1, 2, 0)
    assert await user_ids(runtime) == ["u0"]
    assert await dead_letters(runtime) == []


async def test_message_that_keeps_killing_consumers_ends_in_dead_letters(
    runtime: Runtime,
) -> None:
    await publish_users(runtime, 1)
    await relay_batch(runtime, schema=SCHEMA)
    sub = subscription(max_attempts=2, claim_idle_ms=0)
    await runtime.redis.xgroup_create(STREAM, "g", id="0")
    # Two consumers took it and died before any outcome (each take counts a delivery).
    await runtime.redis.xreadgroup("g", "died-1", {STREAM: ">"})
    await runtime.redis.xautoclaim(STREAM, "g", "died-2", min_idle_time=0)

    stats = await drain(runtime, sub)  # the third delivery exceeds max_attempts

    assert (stats.applied, stats.dead) == (0, 1)
    assert await user_ids(runtime) == []
    [dead] = await dead_letters(runtime)
    assert (dead.attempts, dead.error) == (3, "no outcome after repeated deliveries")
    assert await pending(runtime) == 0


async def test_undecodable_messages_go_straight_to_dead_letters(runtime: Runtime) -> None:
    [event] = await publish_users(runtime, 1)
    await relay_batch(runtime, schema=SCHEMA)
    good = event.model_dump(mode="json")
    base = {"event_type": "UserRegistered", "version": "1", "occurred_at": ""}
    bad_messages = [
        {**base, "event_id": "newer", "version": "2", "payload": json.dumps(good)},
        {**base, "event_id": "garbled", "payload": "{not json"},
        {**base, "event_id": "invalid", "payload": json.dumps({"user_id": "no email"})},
        {**base, "event_id": "stranger", "event_type": "NoSuchEvent", "payload": "{}"},
    ]
    for fields in bad_messages:
        await runtime.redis.xadd(STREAM, cast(Any, fields))

    stats = await drain(runtime, subscription())

    assert (stats.applied, stats.dead) == (1, 4)
    dead = await dead_letters(runtime)
    assert [row.event_id for row in dead] == ["newer", "garbled", "invalid", "stranger"]
    assert all(row.attempts == 1 and row.error.startswith("undecodable") for row in dead)
    assert dead[1].payload == {"raw": "{not json"}
    assert await pending(runtime) == 0


async def test_two_consumers_split_the_work_without_double_effects(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await publish_users(runtime, 40)

    async def crash(*args: object) -> None:
        raise RuntimeError("crash")

    # Every event twice in the stream, so the two consumers also race on the same event ids.
    with monkeypatch.context() as patch:
        patch.setattr(relay, "_mark_published", crash)
        with pytest.raises(RuntimeError):
            await relay_batch(runtime, schema=SCHEMA)
    await relay_batch(runtime, schema=SCHEMA)
    record = recorder("g")

    async def slow(event: UserRegistered, session: AsyncSession) -> None:
        await record(event, session)
        await asyncio.sleep(0.002)

    sub = subscription(handler=slow, batch=5, block_ms=50)
    stop = asyncio.Event()
    consumers = [
        asyncio.create_task(consume(runtime, sub, consumer_name=name, stop=stop), name=name)
        for name in ("a", "b")
    ]
    try:
        await until(lambda: _equals(pending_and_left(runtime), 0))
    finally:
        stop.set()
        await asyncio.gather(*consumers)

    rows = await effects(runtime)
    assert sorted(row.user_id for row in rows) == sorted(f"u{i}" for i in range(40))
    assert {row.worker for row in rows} == {"a", "b"}


async def pending_and_left(runtime: Runtime) -> int:
    """Messages of group g not yet acknowledged or not yet delivered."""
    groups = await runtime.redis.xinfo_groups(STREAM)
    if not groups:
        return -1
    last = groups[0]["last-delivered-id"]
    undelivered = len(await stream_entries(runtime, f"({last}"))
    return await pending(runtime) + undelivered


async def test_new_group_replays_the_streams_from_the_beginning(runtime: Runtime) -> None:
    await publish_users(runtime, 4)
    await relay_batch(runtime, schema=SCHEMA)
    assert (await drain(runtime, subscription("g1"))).applied == 4
    await publish_users(runtime, 1, prefix="late")
    await relay_batch(runtime, schema=SCHEMA)

    assert (await drain(runtime, subscription("g1"))).applied == 1
    rebuilt = await drain(runtime, subscription("rebuild"))

    assert rebuilt.applied == 5
    assert await user_ids(runtime, "rebuild") == ["u0", "u1", "u2", "u3", "late0"]
    assert len(await user_ids(runtime, "g1")) == 5


async def test_consumer_recreates_its_group_when_redis_loses_the_stream(
    runtime: Runtime,
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consume(runtime, subscription(block_ms=50), stop=stop))
    try:
        await until(lambda: _exists(runtime))
        await runtime.redis.flushdb()  # a Redis restart without persistence
        await publish_users(runtime, 2)
        await relay_batch(runtime, schema=SCHEMA)
        await until(lambda: _equals(_count_effects(runtime), 2))
    finally:
        stop.set()
        await task
    assert sorted(await user_ids(runtime)) == ["u0", "u1"]


async def _exists(runtime: Runtime) -> bool:
    return bool(await runtime.redis.exists(STREAM))


async def _count_effects(runtime: Runtime) -> int:
    return len(await effects(runtime))


def test_default_consumer_name_is_host_and_pid() -> None:
    import os
    import socket

    assert streams.default_consumer_name() == f"{socket.gethostname()}-{os.getpid()}"


def test_subscription_streams_follow_handler_types() -> None:
    sub = subscription()
    assert sub.streams == ["tiketi:events:UserRegistered"]
    with pytest.raises(ValueError):
        Subscription(group="g", schema=SCHEMA, handlers={})


async def test_prune_removes_only_old_published_rows(runtime: Runtime) -> None:
    await publish_users(runtime, 2)
    assert await relay_batch(runtime, schema=SCHEMA) == 2
    await publish_users(runtime, 1)
    table = outbox_table(SCHEMA)
    async with runtime.db.sessions() as session, session.begin():
        await session.execute(
            sa.update(table)
            .where(table.c.published_at.is_not(None))
            .values(published_at=sa.func.now() - sa.text("interval '8 days'"))
        )
    assert await prune_outbox(runtime, schema=SCHEMA) == 2
    assert await unpublished(runtime) == 1
    assert await prune_outbox(runtime, schema=SCHEMA) == 0


async def test_restarted_consumer_of_the_same_name_recovers_its_pending_at_once(
    runtime: Runtime,
) -> None:
    await publish_users(runtime, 3)
    await relay_batch(runtime, schema=SCHEMA)
    reached, never = asyncio.Event(), asyncio.Event()
    record = recorder("g")

    async def hang(event: UserRegistered, session: AsyncSession) -> None:
        reached.set()
        await never.wait()

    # A long claim delay: only the restart's own recovery can pick the messages up quickly.
    sub = subscription(handler=hang, batch=10, block_ms=50, claim_idle_ms=600_000)
    task = asyncio.create_task(consume(runtime, sub, consumer_name="same"))
    async with asyncio.timeout(5):
        await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await pending(runtime) == 3

    stop = asyncio.Event()
    again = asyncio.create_task(
        consume(
            runtime,
            replace(sub, handlers={UserRegistered: record}),
            consumer_name="same",
            stop=stop,
        )
    )
    await until(lambda: _equals(pending(runtime), 0), seconds=5)
    stop.set()
    await again
    assert sorted(await user_ids(runtime)) == ["u0", "u1", "u2"]

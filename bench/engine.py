"""The admission engine alone (issue 5): how fast the admitter's step lets a full line in.

No HTTP and no room rate: the bench process fills one room's waiting line in Redis with
`--engine-fans` fans through the queue store's own join script (concurrent calls, no join
limits, the room full so everyone waits), measures the Redis memory a waiting fan costs, then
runs the real admitter's step (`Admitter.step` → `admit_now`: the Lua admit script, token
signing, one `queue:admitted` per fan through the Socket.IO Redis manager, one `queue:progress`
per step) back to back with max_active ≥ the line and a 1,000,000/s rate ceiling, until every
fan is admitted and every message has reached Redis.

The room is the bench's own (a fresh event id with its Redis state created here, not in
PostgreSQL): the platform's admitter, which ticks only the rooms its database knows, never
touches it, and its control loop never lowers its rate. Messages go on the platform's Socket.IO
channel, so its socket servers receive (and drop: nobody is connected) every one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from redis.asyncio import Redis

from bench.context import Context
from bench.probe import CpuProbe
from bench.results import Result, percentile
from bench.stack import QUEUE_KEY
from tiketi.kernel.db import Database
from tiketi.kernel.realtime import CHANNEL, Realtime
from tiketi.kernel.redis import create_redis
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.tokens import TokenVerifier
from tiketi.services.queue.adapters import lua
from tiketi.services.queue.adapters.realtime import RealtimeNotifier
from tiketi.services.queue.adapters.store import WAITING, keys, limit_keys
from tiketi.services.queue.api.deps import QueueDeps
from tiketi.services.queue.domain.models import QueueEvent, to_ms
from tiketi.services.queue.service.admitter import Admitter
from tiketi.services.queue.service.common import Queue
from tiketi.services.queue.settings import QueueSettings

TARGET_ADMISSIONS_PER_SECOND = 10_000
TARGET_BYTES_PER_FAN = 200
RATE_CEILING = 1_000_000.0
# Joins per pipeline (one round trip) while filling the line.
FILL_PIPELINE = 1000
DRAIN_TIMEOUT = 120.0


class Counting:
    """The real notifier, counting what the engine asks it to send."""

    def __init__(self, inner: RealtimeNotifier) -> None:
        self.inner = inner
        self.admitted_count = 0
        self.progress_count = 0

    async def admitted(self, fans: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """The step's fans told."""
        self.admitted_count += len(fans)
        await self.inner.admitted(fans)

    async def progress(self, event_id: str, payload: dict[str, Any]) -> None:
        """The room told (must be once per step)."""
        self.progress_count += 1
        await self.inner.progress(event_id, payload)


async def _no_keys() -> dict[str, Any]:
    return {"keys": []}


@contextlib.asynccontextmanager
async def _runtime(ctx: Context) -> AsyncIterator[Runtime]:
    """A Runtime on the bench stack's servers, with a write-only realtime layer (as a process
    that serves no sockets emits)."""
    settings = PlatformSettings(database_url=ctx.stack.pg.dsn, redis_url=ctx.stack.redis.url)
    db = Database(ctx.stack.pg.dsn, pool_size=2)
    redis = create_redis(ctx.stack.redis.url, max_connections=8)
    runtime = Runtime(
        settings=settings,
        db=db,
        redis=redis,
        verifier=TokenVerifier(_no_keys, issuer="tiketi", audience="tiketi"),
    )
    # Big enough that the step's burst of emits is never dropped while the publisher drains.
    runtime.realtime_layer = Realtime(runtime, serve=False, channel=CHANNEL, backlog=1_000_000)
    try:
        yield runtime
    finally:
        await runtime.realtime.stop(grace=DRAIN_TIMEOUT)
        await redis.aclose()
        await db.dispose()


async def _room_bytes(redis: Redis, event_id: str) -> int:
    """Bytes Redis holds for the room's keys (MEMORY USAGE, every element sampled)."""
    total = 0
    for key in keys(event_id):
        used = await redis.memory_usage(key, samples=0)
        total += int(used or 0)
    return total


async def _used_memory(redis: Redis) -> int:
    return int((await redis.info("memory"))["used_memory"])


async def _publishes(redis: Redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_publish", {}).get("calls", 0))


async def _fill(runtime: Runtime, queue: Queue, event: QueueEvent, n: int) -> float:
    """N fans join through the join script (lua.JOIN, as QueueStore.join sends it: the room's
    keys and the fan's limit buckets), pipelined; seconds it took."""
    settings = queue.settings
    join = runtime.redis.register_script(lua.JOIN)
    names = keys(event.id)
    started = time.perf_counter()
    for first in range(0, n, FILL_PIPELINE):
        async with runtime.redis.pipeline(transaction=False) as pipe:
            for i in range(first, min(n, first + FILL_PIPELINE)):
                user = str(uuid.UUID(int=i + 1))
                limits = limit_keys(event.id, client_ip="203.0.113.1", user_id=user)
                args: list[str | int | float] = [
                    event.epoch, user, to_ms(event.sale_opens_at), to_ms(event.sale_closes_at),
                    settings.pre_queue_seconds * 1000, event.max_active, event.admit_per_second,
                    settings.admission_seconds * 1000, 0, 1, 0, 1,  # no join limits
                ]  # fmt: skip
                await join(keys=names + limits, args=args, client=pipe)
            replies = await pipe.execute()
        waiting = [reply for reply in replies if int(reply[0]) == WAITING]
        if len(waiting) != len(replies):
            raise RuntimeError(f"a join did not wait in line: {replies[:3]}")
    return time.perf_counter() - started


async def _drained(runtime: Runtime) -> None:
    manager = runtime.realtime.manager
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while manager.waiting and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.001)


async def admission_engine(ctx: Context) -> list[Result]:
    """Fill a line of N fans, then let the real admitter step admit them all, back to back."""
    n = ctx.options.engine_fans
    now = datetime.now(UTC)
    settings = QueueSettings(queue_key=SecretStr(QUEUE_KEY))
    # Filling: the room is full (max_active 0), so every join waits in the line.
    event = QueueEvent(
        id=str(uuid.uuid4()), organizer_id=str(uuid.uuid4()),
        sale_opens_at=now - timedelta(hours=1), sale_closes_at=now + timedelta(days=1),
        status="on_sale", enabled=True, max_active=0, admit_per_second=RATE_CEILING, epoch=1,
        commitment="", drawn=True,
    )  # fmt: skip
    async with _runtime(ctx) as runtime:
        notifier = Counting(RealtimeNotifier(runtime))
        queue = QueueDeps(settings=settings, notifier=notifier).queue(runtime)
        redis = runtime.redis
        await queue.store.init(event.id, epoch=event.epoch, state="open", reset=False)
        await redis.ping()  # the connection the fill uses is open before the reading
        empty_room = await _room_bytes(redis, event.id)
        used_before = await _used_memory(redis)
        fill_seconds = await _fill(runtime, queue, event, n)
        room_bytes = await _room_bytes(redis, event.id) - empty_room
        used_bytes = await _used_memory(redis) - used_before

        engine = replace(event, max_active=n)
        admitter = Admitter(queue, owner=f"bench-{uuid.uuid4().hex[:8]}")
        probe = CpuProbe(
            {"redis": ctx.stack.redis.pid, "platform": ctx.stack.platform.pid}
        )  # fmt: skip
        publishes = await _publishes(redis)
        steps: list[tuple[float, int]] = []
        tickets: list[int] = []
        users: set[str] = set()
        extra_progress = max_active = 0
        probe.start()
        cpu_started = time.process_time()  # this process only (its tree holds the servers)
        started = time.perf_counter()
        while True:
            told = notifier.progress_count
            step_started = time.perf_counter()
            reply = await admitter.step(engine)
            if reply is None:
                raise RuntimeError("the bench's room closed")
            steps.append(((time.perf_counter() - step_started) * 1000, len(reply.admitted)))
            extra_progress += max(0, notifier.progress_count - told - 1)
            max_active = max(max_active, reply.active)
            tickets += [fan.ticket for fan in reply.admitted]
            users.update(fan.user_id for fan in reply.admitted)
            if reply.waiting == 0 or not reply.admitted:
                break
        admitted_at = time.perf_counter() - started
        await _drained(runtime)
        seconds = time.perf_counter() - started
        probe.stop()
        cpu = {**probe.percent(), "clients": (time.process_time() - cpu_started) / seconds * 100}
        published = await _publishes(redis) - publishes
    return [
        _engine_row(n, seconds, admitted_at, steps, tickets, users, max_active, extra_progress,
                    notifier, published, cpu),
        _fill_row(n, fill_seconds, room_bytes, used_bytes),
    ]  # fmt: skip


def _engine_row(
    n: int, seconds: float, admitted_at: float, steps: list[tuple[float, int]],
    tickets: list[int], users: set[str], max_active: int, extra_progress: int,
    notifier: Counting, published: int, cpu: dict[str, float],
) -> Result:  # fmt: skip
    result = Result("admission-engine", len(tickets), seconds, [ms for ms, _ in steps])
    result.unit = "admissions/s"
    result.cpu.update(cpu)
    if len(tickets) < n:
        result.errors["NOT ADMITTED"] = n - len(tickets)
    sent = notifier.admitted_count + notifier.progress_count
    out_of_order = sum(1 for i, ticket in enumerate(tickets) if ticket != i + 1)
    result.checks = {
        "admitted twice or out of ticket order": out_of_order + len(tickets) - len(users),
        "active above max_active": max(0, max_active - n),
        "progress broadcasts beyond one per step": extra_progress,
        "messages that never reached Redis": max(0, sent - published),
    }
    result.target = f"≥ {TARGET_ADMISSIONS_PER_SECOND:,} admissions/s"
    result.met = result.throughput >= TARGET_ADMISSIONS_PER_SECOND and not result.failed_checks()
    batches = [size for _, size in steps]
    per_fan = cpu.get("clients", 0.0) / 100 * seconds / max(1, len(tickets)) * 1e6
    result.notes.append(
        f"{n:,} fans waiting; {len(steps):,} admitter steps back to back (max_active {n:,}, "
        f"rate ceiling {RATE_CEILING:,.0f}/s, batch ≤ {max(batches, default=0):,} fans, "
        f"median {percentile([float(b) for b in batches], 50):,.0f}); latency is one step "
        f"(script + signing + emits); all admitted after {admitted_at:.2f} s, every message "
        f"in Redis after {seconds:.2f} s ({published:,} PUBLISHes: {notifier.admitted_count:,} "
        f"queue:admitted + {notifier.progress_count:,} queue:progress, one per step); the "
        f"engine's process spent {per_fan:.0f} µs of CPU per admission"
    )
    return result


def _fill_row(n: int, seconds: float, room_bytes: int, used_bytes: int) -> Result:
    result = Result("admission-engine fill", n, seconds)
    result.unit = "joins/s"
    per_fan = room_bytes / n if n else 0.0
    result.target = f"≤ {TARGET_BYTES_PER_FAN} bytes of Redis per waiting fan"
    result.met = per_fan <= TARGET_BYTES_PER_FAN
    result.notes.append(
        f"{n:,} fans joined through the join script ({FILL_PIPELINE:,} a pipeline, no join "
        f"limits, the room full so every fan waits); Redis per waiting fan: {per_fan:,.0f} "
        f"bytes by MEMORY USAGE of the room's keys, {used_bytes / max(1, n):,.0f} by INFO "
        f"used_memory"
    )
    return result

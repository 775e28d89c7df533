"""kernel.ratelimit.TokenBucket against a real Redis: bursts, refusals, refills, races."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from tiketi.kernel import ratelimit
from tiketi.kernel.errors import RateLimited
from tiketi.kernel.ratelimit import TokenBucket
from tiketi.kernel.redis import create_redis
from tiketi.kernel.testing.servers import RedisServer


@pytest.fixture(scope="module")
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = create_redis(f"redis://127.0.0.1:{redis_server.port}/8")
    yield client
    await client.aclose()


def bucket(redis: Redis, *, rate: float, burst: int) -> TokenBucket:
    # A fresh name per test: buckets of earlier tests (or runs) never leak into this one.
    return TokenBucket(redis, name=f"test-{uuid.uuid4().hex[:8]}", rate=rate, burst=burst)


async def test_burst_is_allowed_then_refused_with_a_sane_retry_after(redis: Redis) -> None:
    limit = bucket(redis, rate=2, burst=5)  # one token every 0.5 s

    waits = [await limit.retry_after("ip-1") for _ in range(5)]
    refused = await limit.retry_after("ip-1")

    assert waits == [0.0] * 5
    assert 0.3 < refused <= 0.5
    with pytest.raises(RateLimited) as caught:
        await limit.check("ip-1")
    assert caught.value.status == 429
    assert caught.value.headers == {"Retry-After": "1"}  # whole seconds, rounded up


async def test_tokens_refill_over_time(redis: Redis) -> None:
    limit = bucket(redis, rate=100, burst=2)  # one token every 10 ms keeps the test fast
    assert await limit.retry_after("k") == 0
    assert await limit.retry_after("k") == 0
    wait = await limit.retry_after("k")
    assert 0 < wait <= 0.01

    await asyncio.sleep(wait + 0.02)

    assert await limit.retry_after("k") == 0


async def test_refill_never_exceeds_the_burst(redis: Redis) -> None:
    limit = bucket(redis, rate=50, burst=3)  # one token every 20 ms
    assert [await limit.retry_after("k") for _ in range(3)] == [0, 0, 0]
    await asyncio.sleep(0.2)  # ten tokens' worth of time, capped at three

    waits = [await limit.retry_after("k") for _ in range(4)]

    assert waits[:3] == [0, 0, 0]
    assert waits[3] > 0


async def test_keys_and_limits_are_independent(redis: Redis) -> None:
    login = bucket(redis, rate=0.01, burst=1)
    signup = bucket(redis, rate=0.01, burst=1)

    assert await login.retry_after("ip-1") == 0
    assert await login.retry_after("ip-1") > 0
    assert await login.retry_after("ip-2") == 0  # another client is unaffected
    assert await signup.retry_after("ip-1") == 0  # and so is another limit for the same one


async def test_concurrent_takes_never_exceed_the_burst(redis: Redis) -> None:
    limit = bucket(redis, rate=0.001, burst=10)  # no refill within the test

    waits = await asyncio.gather(*(limit.retry_after("hot") for _ in range(100)))

    assert sum(1 for wait in waits if wait == 0) == 10
    assert all(wait > 0 for wait in waits if wait != 0)


async def test_cost_takes_several_tokens(redis: Redis) -> None:
    limit = bucket(redis, rate=10, burst=5)

    assert await limit.retry_after("k", cost=4) == 0
    wait = await limit.retry_after("k", cost=4)  # one left, three missing at 10 a second

    assert 0.25 < wait <= 0.3


async def test_idle_buckets_expire(redis: Redis) -> None:
    limit = bucket(redis, rate=1000, burst=5)
    await limit.retry_after("k")

    ttl_ms = await redis.pttl(f"ratelimit:{limit.name}:k")

    assert 0 < ttl_ms <= 1005  # refill time of a full bucket plus a second: no stale keys


def test_nonsense_limits_are_refused(redis: Redis) -> None:
    with pytest.raises(ValueError):
        TokenBucket(redis, name="x", rate=0, burst=1)
    with pytest.raises(ValueError):
        TokenBucket(redis, name="x", rate=1, burst=0)


async def test_a_lease_takes_tokens_a_few_at_a_time_and_never_more_than_the_burst(
    redis: Redis,
) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    # Two processes' buckets on one key; a token every 100 s, so nothing refills meanwhile.
    a = TokenBucket(redis, name=name, rate=0.01, burst=100, lease=10)
    b = TokenBucket(redis, name=name, rate=0.01, burst=100, lease=10)
    calls = 0
    script = a._script

    async def counted(**kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return await script(**kwargs)  # type: ignore[arg-type]

    a._script = counted  # type: ignore[assignment]

    assert await a.retry_after("fan") == 0.0  # leases 10, spends 1
    assert calls == 1
    # The other process sees the 10 gone from Redis: it gets exactly the 90 left.
    allowed_b = 0
    while await b.retry_after("fan") == 0.0:
        allowed_b += 1
    assert allowed_b == 90
    # Process A still spends what it leased, then is refused like everyone.
    allowed_a = 0
    while await a.retry_after("fan") == 0.0:
        allowed_a += 1
    assert allowed_a == 9
    assert 1 + allowed_a + allowed_b == 100


async def test_a_leasing_bucket_is_exact_near_the_limit_and_drops_stale_leases(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = TokenBucket(redis, name=f"test-{uuid.uuid4().hex[:8]}", rate=0.01, burst=25, lease=10)
    results = [await limit.retry_after("fan") for _ in range(26)]
    # 10 + 10 leased, then single tokens for the last 5: exactly the burst, then a refusal.
    assert results[:25] == [0.0] * 25
    assert results[25] > 0

    other = TokenBucket(redis, name=f"test-{uuid.uuid4().hex[:8]}", rate=0.01, burst=30, lease=10)
    assert await other.retry_after("fan") == 0.0  # 9 leased tokens left in this process
    clock = time.monotonic() + ratelimit.LEASE_SECONDS + 0.1
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock)
    # The lease ran out: its 9 tokens are gone, not spent later (30 - 10 = 20 remain).
    allowed = 0
    while await other.retry_after("fan") == 0.0:
        allowed += 1
    assert allowed == 20


async def test_concurrent_takes_of_many_clients_share_round_trips_and_stay_exact(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = bucket(redis, rate=0.001, burst=3)  # no refill within the test
    round_trips = 0
    execute = type(redis.pipeline()).execute

    async def counted(self: object, *args: object, **kwargs: object) -> object:
        nonlocal round_trips
        round_trips += 1
        return await execute(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(type(redis.pipeline()), "execute", counted)
    clients = [f"ip-{n}" for n in range(40)]
    # Five takes per client, all at once: three may pass for each, whatever the batching.
    waits = await asyncio.gather(*(limit.retry_after(c) for c in clients for _ in range(5)))

    allowed: dict[str, int] = {}
    for client, wait in zip([c for c in clients for _ in range(5)], waits, strict=True):
        allowed[client] = allowed.get(client, 0) + (wait == 0)
    assert allowed == dict.fromkeys(clients, 3)
    assert all(wait > 0 for wait in waits if wait != 0)
    # 200 takes: the first went alone, the rest queued behind it and went out together.
    assert 1 <= round_trips < 10


async def test_a_failed_shared_round_trip_fails_every_take_in_it() -> None:
    unreachable = create_redis("redis://127.0.0.1:1/0", timeout=0.2)
    limit = bucket(unreachable, rate=1, burst=5)
    try:
        results = await asyncio.gather(
            *(limit.retry_after(f"ip-{n}") for n in range(10)), return_exceptions=True
        )
        assert len(results) == 10
        assert all(isinstance(r, Exception) for r in results), results
        # And the bucket is not stuck: the next take tries Redis again (and fails again).
        with pytest.raises(Exception, match=r"(?i)connect"):
            await limit.retry_after("ip-late")
    finally:
        await unreachable.aclose()

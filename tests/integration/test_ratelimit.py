"""kernel.ratelimit.TokenBucket against a real Redis: bursts, refusals, refills, races."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

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

"""kernel.redis.Coalescer against a real Redis: shared round trips, one answer per call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from tiketi.kernel.redis import Coalescer, coalescer, create_redis
from tiketi.kernel.testing.servers import RedisServer

ECHO_INCR = "return {ARGV[1], redis.call('INCR', KEYS[1])}"
FAIL_ON_BAD = "if ARGV[1] == 'bad' then return redis.error_reply('BAD_INPUT') end return ARGV[1]"


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = create_redis(f"redis://127.0.0.1:{redis_server.port}/9")
    await client.flushdb()
    yield client
    await client.aclose()


async def test_concurrent_calls_get_their_own_answers_in_few_round_trips(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipelines = 0
    pipeline = redis.pipeline

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal pipelines
        pipelines += 1
        return pipeline(*args, **kwargs)

    monkeypatch.setattr(redis, "pipeline", counted)
    calls = Coalescer(redis)
    script = redis.register_script(ECHO_INCR)
    answers = await asyncio.gather(*(calls.script(script, ["counter"], [n]) for n in range(300)))

    assert [a[0] for a in answers] == [str(n) for n in range(300)]
    # Redis ran them one after the other: every count from 1 to 300 exactly once.
    assert sorted(int(a[1]) for a in answers) == list(range(1, 301))
    # The first call went alone; the other 299 queued behind it and shared a round trip.
    assert pipelines == 1


async def test_one_failing_script_fails_only_its_own_call(redis: Redis) -> None:
    calls = Coalescer(redis)
    script = redis.register_script(FAIL_ON_BAD)
    inputs = ["a", "bad", "b", "c", "bad", "d"] * 5
    answers = await asyncio.gather(
        *(calls.script(script, [], [value]) for value in inputs), return_exceptions=True
    )
    for value, answer in zip(inputs, answers, strict=True):
        if value == "bad":
            assert isinstance(answer, ResponseError)
            assert "BAD_INPUT" in str(answer)
        else:
            assert answer == value


async def test_scripts_flushed_from_redis_are_loaded_again(redis: Redis) -> None:
    calls = Coalescer(redis)
    script = redis.register_script(ECHO_INCR)
    await calls.script(script, ["k"], ["warm"])
    await redis.script_flush()  # what a Redis restart does to the script cache

    answers = await asyncio.gather(*(calls.script(script, ["k"], [n]) for n in range(50)))

    assert [a[0] for a in answers] == [str(n) for n in range(50)]
    assert sorted(int(a[1]) for a in answers) == list(range(2, 52))


async def test_a_cancelled_caller_does_not_stall_the_others(redis: Redis) -> None:
    calls = coalescer(redis)
    assert coalescer(redis) is calls  # one per client
    script = redis.register_script(ECHO_INCR)
    first = asyncio.ensure_future(calls.script(script, ["c"], ["first"]))
    queued = [asyncio.ensure_future(calls.script(script, ["c"], [n])) for n in range(20)]
    await asyncio.sleep(0)
    first.cancel()
    queued[3].cancel()

    done = await asyncio.gather(*queued, return_exceptions=True)

    assert isinstance(done[3], asyncio.CancelledError)
    assert [d[0] for i, d in enumerate(done) if i != 3] == [str(n) for n in range(20) if n != 3]
    assert (await calls.script(script, ["c"], ["after"]))[0] == "after"


async def test_commands_share_round_trips_and_read_what_was_written_before(redis: Redis) -> None:
    calls = Coalescer(redis)
    await redis.set("version", "1")

    async def write_then_read(n: int) -> tuple[int, str]:
        await redis.set(f"own:{n}", str(n))  # a write that finished before the read was made
        return n, await calls.command("GET", f"own:{n}")

    answers = await asyncio.gather(
        *(write_then_read(n) for n in range(100)),
        *(calls.command("GET", "version") for _ in range(50)),
    )

    assert answers[:100] == [(n, str(n)) for n in range(100)]
    assert answers[100:] == ["1"] * 50
    assert await calls.command("GET", "missing") is None

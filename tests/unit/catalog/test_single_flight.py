"""Concurrent identical loads share one call; a waiter going away does not cancel it."""

from __future__ import annotations

import asyncio

import pytest

from tiketi.kernel.singleflight import SingleFlight


async def test_concurrent_callers_share_one_call() -> None:
    flights = SingleFlight()
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return 42

    results = await asyncio.gather(*(flights.run("k", load) for _ in range(100)))

    assert results == [42] * 100 and calls == 1
    # Finished flights are forgotten: the next call loads again.
    assert await flights.run("k", load) == 42 and calls == 2


async def test_a_failure_reaches_every_waiter() -> None:
    flights = SingleFlight()

    async def fail() -> int:
        await asyncio.sleep(0.01)
        raise LookupError("gone")

    results = await asyncio.gather(
        *(flights.run("k", fail) for _ in range(3)), return_exceptions=True
    )

    assert all(isinstance(result, LookupError) for result in results)


async def test_a_cancelled_waiter_leaves_the_load_to_the_others() -> None:
    flights = SingleFlight()
    release = asyncio.Event()

    async def load() -> str:
        await release.wait()
        return "done"

    first = asyncio.create_task(flights.run("k", load))
    second = asyncio.create_task(flights.run("k", load))
    await asyncio.sleep(0)
    first.cancel()
    release.set()

    assert await second == "done"
    with pytest.raises(asyncio.CancelledError):
        await first

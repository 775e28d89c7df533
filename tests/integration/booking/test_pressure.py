"""Booking's pressure reports land in Redis where the waiting room's admitter reads them."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from tiketi.contracts.pressure import PRESSURE_KEY, combine
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.booking.adapters.pressure import PressureReporter
from tiketi.services.booking.domain.pressure import PressureWindow


async def test_two_processes_reports_combine(settings: PlatformSettings) -> None:
    assert settings.redis_url
    redis = Redis.from_url(settings.redis_url)
    try:
        await redis.delete(PRESSURE_KEY)
        slow, fast = PressureWindow(), PressureWindow()
        now = time.monotonic()
        for _ in range(20):
            slow.record(at=now, latency_ms=400.0, failed=True)
            fast.record(at=now, latency_ms=4.0, failed=False)
        await PressureReporter(redis, slow, process="pod-a").publish()
        await PressureReporter(redis, fast, process="pod-b").publish()
        combined = combine(await redis.hgetall(PRESSURE_KEY))
        assert combined is not None
        assert (combined.attempts, combined.failures, combined.p95_ms) == (40, 20, 400.0)
        assert await redis.ttl(PRESSURE_KEY) > 0
    finally:
        await redis.delete(PRESSURE_KEY)
        await redis.aclose()

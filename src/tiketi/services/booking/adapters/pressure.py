"""Booking's load report to the waiting room (contracts/pressure.py), about once a second."""

from __future__ import annotations

import os
import socket
import time
from datetime import UTC, datetime

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tiketi.contracts.pressure import PRESSURE_KEY, BookingPressure
from tiketi.services.booking.domain.pressure import PressureWindow

log = structlog.get_logger("tiketi.booking")
# The hash outlives a crashed process only briefly; readers also ignore stale fields.
_KEY_TTL_SECONDS = 30


def process_name() -> str:
    """This process's field in the report hash."""
    return f"{socket.gethostname()}:{os.getpid()}"


class PressureReporter:
    """Publishes this process's hold window; a Redis failure skips one report."""

    def __init__(self, redis: Redis, window: PressureWindow, *, process: str | None = None) -> None:
        self.redis = redis
        self.window = window
        self.process = process or process_name()

    def report(self) -> BookingPressure:
        """This process's figures now."""
        figures = self.window.figures(now=time.monotonic())
        return BookingPressure(
            process=self.process,
            at=datetime.now(UTC),
            window_seconds=self.window.seconds,
            attempts=figures.attempts,
            failures=figures.failures,
            p95_ms=figures.p95_ms,
        )

    async def publish(self) -> None:
        """Write the report into the shared hash."""
        report = self.report()
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hset(PRESSURE_KEY, self.process, report.encode())
                pipe.expire(PRESSURE_KEY, _KEY_TTL_SECONDS)
                await pipe.execute()
        except RedisError as exc:
            log.warning("booking_pressure_not_reported", error=type(exc).__name__)

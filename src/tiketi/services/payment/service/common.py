"""What every payment use case shares: its collaborators for one process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.singleflight import SingleFlight
from tiketi.services.payment.adapters.booking import BookingPort
from tiketi.services.payment.adapters.toss import TossClient
from tiketi.services.payment.settings import PaymentSettings

log = structlog.get_logger("tiketi.payment")


def utcnow() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)


class BoundedTasks:
    """Background work of one process, at most `limit` running at once, one per key at a time
    (a key asked for again while queued or running is not started twice)."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._keys: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, key: str, work: Callable[[], Awaitable[object]]) -> None:
        """Run `work` when a slot is free, unless `key`'s work is already queued or running."""
        if key in self._keys:
            return
        self._keys.add(key)
        task = asyncio.ensure_future(self._run(key, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: str, work: Callable[[], Awaitable[object]]) -> None:
        try:
            async with self._slots:
                await work()
        except Exception:  # whatever is left undone stays open for the reconciler
            log.warning("background_work_failed", key=key, exc_info=True)
        finally:
            self._keys.discard(key)

    @property
    def pending(self) -> int:
        """Work queued or running."""
        return len(self._tasks)

    async def idle(self) -> None:
        """Wait until nothing is queued or running (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel what is queued or running (it stays open in the database)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


@dataclass
class Payments:
    """One payment module's collaborators: database, TossPayments, booking."""

    settings: PaymentSettings
    uow: Callable[[], UnitOfWork]
    toss: TossClient
    booking: BookingPort
    flights: SingleFlight = field(default_factory=SingleFlight)
    # Set to run the reconciler now rather than at its next tick (a webhook said so).
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # Refunds the consumer asked for, settled beside it (bounded by settle_concurrency).
    background: BoundedTasks = field(init=False)

    def __post_init__(self) -> None:
        self.background = BoundedTasks(self.settings.settle_concurrency)

    async def aclose(self) -> None:
        """Stop background work, close the HTTP clients."""
        await self.background.aclose()
        await self.toss.aclose()
        await self.booking.aclose()


@dataclass
class Sandbox:
    """The sandbox's collaborators: its store's database and its settings."""

    settings: PaymentSettings
    uow: Callable[[], UnitOfWork]

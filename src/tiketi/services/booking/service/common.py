"""What every booking use case shares: its collaborators and the after-commit announcements."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.singleflight import SingleFlight
from tiketi.services.booking.adapters.admissions import AdmissionLedger
from tiketi.services.booking.adapters.cache import SeatMapCache
from tiketi.services.booking.adapters.inventory import Inventory
from tiketi.services.booking.adapters.lane import Lane
from tiketi.services.booking.domain.claims import SeatClaims
from tiketi.services.booking.domain.ports import NoSeatChanges, SeatChangeSink
from tiketi.services.booking.domain.pressure import PressureWindow
from tiketi.services.booking.settings import BookingSettings

log = structlog.get_logger("tiketi.booking")


def utcnow() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)


@dataclass
class Booking:
    """One booking module's collaborators for one process."""

    settings: BookingSettings
    uow: Callable[[], UnitOfWork]
    cache: SeatMapCache
    # Connections kept checked out for holds (one round trip each, no pool pre-ping).
    lane: Lane
    sink: SeatChangeSink = field(default_factory=NoSeatChanges)
    flights: SingleFlight = field(default_factory=SingleFlight)
    refresher: AvailabilityRefresher | None = None
    # The waiting room's current admissions (None: signatures alone decide, as in unit tests).
    admissions: AdmissionLedger | None = None
    # Recent hold outcomes, reported to the waiting room's admission control loop.
    pressure: PressureWindow = field(default_factory=PressureWindow)
    # Holds running now in this process (bounded by settings.max_holds_in_flight).
    holds_in_flight: int = 0
    # Seats those holds are taking: best-available offers concurrent fans different seats.
    claims: SeatClaims = field(default_factory=SeatClaims)

    async def announce(self, event_id: uuid.UUID, version: int, changes: dict[int, str]) -> None:
        """After a commit: a new map version, live deltas, fresh availability counts."""
        eid = str(event_id)
        await self.cache.raise_version(eid, version)
        delta: list[dict[str, object]] = [
            {"id": seat_id, "status": status} for seat_id, status in sorted(changes.items())
        ]
        try:
            await self.sink.seats_changed(eid, version, delta)
        except Exception as exc:  # live updates are best effort; clients refetch on a gap
            log.warning("seat_changes_not_sent", event_id=eid, error=str(exc))
        if self.refresher is None:
            self.refresher = AvailabilityRefresher(self)
        self.refresher.request(event_id)


async def store_availability(booking: Booking, session: AsyncSession, event_id: uuid.UUID) -> None:
    """Recompute the event's per-grade counts (one grouped COUNT) and keep them in Redis."""
    counts = await Inventory(session).counts(event_id)
    await booking.cache.store_availability(
        str(event_id), {count.grade: count.available for count in counts}
    )


class AvailabilityRefresher:
    """Recomputes an event's availability counts after changes, one run at a time per event and
    at most one start per `availability_refresh_seconds`: a burst of 1,000 holds costs a few
    grouped COUNTs, not 1,000, and the last change is always counted."""

    def __init__(self, booking: Booking) -> None:
        self.booking = booking
        self._again: dict[uuid.UUID, bool] = {}
        # When each event's last recount started (monotonic): the next waits for the interval.
        self._started: dict[uuid.UUID, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def request(self, event_id: uuid.UUID) -> None:
        """Make sure a recount starts after this moment."""
        if event_id in self._again:
            self._again[event_id] = True
            return
        self._again[event_id] = False
        task = asyncio.ensure_future(self._run(event_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, event_id: uuid.UUID) -> None:
        interval = self.booking.settings.availability_refresh_seconds
        try:
            while True:
                wait = self._started.get(event_id, -interval) + interval - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                # This recount covers every change requested so far.
                self._again[event_id] = False
                self._started[event_id] = time.monotonic()
                async with self.booking.uow() as uow:
                    await store_availability(self.booking, uow.session, event_id)
                if not self._again.get(event_id):
                    return
        except Exception as exc:  # the next change retries; catalog then shows older counts
            log.warning("availability_not_refreshed", event_id=str(event_id), error=str(exc))
        finally:
            self._again.pop(event_id, None)

    async def idle(self) -> None:
        """Wait for the recounts in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

"""What the booking routes need: the module's collaborators, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.deps import require_service
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.singleflight import SingleFlight
from tiketi.kernel.tokens import Principal
from tiketi.services.booking.adapters.admissions import AdmissionLedger
from tiketi.services.booking.adapters.cache import SeatMapCache
from tiketi.services.booking.adapters.lane import Lane
from tiketi.services.booking.domain.ports import NoSeatChanges, SeatChangeSink
from tiketi.services.booking.service.common import Booking
from tiketi.services.booking.settings import BookingSettings


@dataclass
class BookingDeps:
    """One booking module's settings, live-update sink and per-process state."""

    settings: BookingSettings
    sink: SeatChangeSink = field(default_factory=NoSeatChanges)
    flights: SingleFlight = field(default_factory=SingleFlight)
    _booking: Booking | None = None

    def booking(self, runtime: Runtime) -> Booking:
        """The use cases' collaborators on this process's engines (made on first use)."""
        if self._booking is None:
            self._booking = Booking(
                settings=self.settings,
                uow=lambda: UnitOfWork(runtime.db.sessions),
                cache=SeatMapCache(runtime.redis, ttl=self.settings.snapshot_cache_seconds),
                lane=Lane(runtime.db.engine, size=self.settings.hold_connections),
                sink=self.sink,
                flights=self.flights,
                admissions=AdmissionLedger(runtime.redis),
            )
        return self._booking

    def current(self) -> Booking:
        """The Booking made at start-up (for the event handlers, which get no runtime)."""
        if self._booking is None:
            raise RuntimeError("booking has not started")
        return self._booking


# Internal: the payment service confirms with a service token (kernel/service_tokens.py);
# admins may too (operators settling a payment by hand).
ServiceCallerDep = Annotated[Principal, Depends(require_service())]

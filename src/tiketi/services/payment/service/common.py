"""What every payment use case shares: its collaborators for one process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.singleflight import SingleFlight
from tiketi.services.payment.adapters.booking import BookingClient
from tiketi.services.payment.adapters.toss import TossClient
from tiketi.services.payment.settings import PaymentSettings


def utcnow() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)


@dataclass
class Payments:
    """One payment module's collaborators: database, TossPayments, booking."""

    settings: PaymentSettings
    uow: Callable[[], UnitOfWork]
    toss: TossClient
    booking: BookingClient
    flights: SingleFlight = field(default_factory=SingleFlight)
    # Set to run the reconciler now rather than at its next tick (a webhook said so).
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        await self.toss.aclose()
        await self.booking.aclose()


@dataclass
class Sandbox:
    """The sandbox's collaborators: its store's database and its settings."""

    settings: PaymentSettings
    uow: Callable[[], UnitOfWork]

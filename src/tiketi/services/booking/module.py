"""The booking service as a module of the platform: router, schema, subscription, sweeper."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from tiketi.contracts.reservations import RESERVATIONS_EXPORT
from tiketi.kernel.module import ServiceModule, Worker
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings, refuse_default_secrets
from tiketi.kernel.streams import Subscription, raise_if_cancelled
from tiketi.services.booking.adapters.orm import SCHEMA
from tiketi.services.booking.adapters.pressure import PressureReporter
from tiketi.services.booking.adapters.realtime import RealtimeSeatSink
from tiketi.services.booking.api.deps import BookingDeps
from tiketi.services.booking.api.routes import build_router
from tiketi.services.booking.api.sockets import socket_setup
from tiketi.services.booking.domain.ports import SeatChangeSink
from tiketi.services.booking.service.inventory import event_handlers, sweep_expired
from tiketi.services.booking.service.payment_desk import PaymentDesk
from tiketi.services.booking.service.refunds import voids_subscription
from tiketi.services.booking.settings import BookingSettings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP = "booking"
log = structlog.get_logger("tiketi.booking")


def booking_subscription(deps: BookingDeps) -> Subscription:
    """Booking's consumer group on catalog's EventPublished/Updated/Canceled."""
    return Subscription(group=GROUP, schema=SCHEMA, handlers=event_handlers(deps.current))


def _sweeper(deps: BookingDeps) -> Worker:
    async def sweep(runtime: Runtime) -> None:
        """Release expired holds in bulk and announce them, every few seconds."""
        booking = deps.booking(runtime)
        while True:
            try:
                while await sweep_expired(booking=booking) >= deps.settings.sweep_batch:
                    raise_if_cancelled()
            except Exception as exc:  # the supervisor would restart us; a pause is enough
                log.warning("booking_sweep_failed", error=str(exc))
            raise_if_cancelled()
            await asyncio.sleep(deps.settings.sweep_seconds)

    return sweep


def _pressure_reporter(deps: BookingDeps) -> Worker:
    async def report(runtime: Runtime) -> None:
        """Tell the waiting room's admitter how this process's holds are doing, every second."""
        reporter = PressureReporter(runtime.redis, deps.booking(runtime).pressure)
        while True:
            await reporter.publish()
            raise_if_cancelled()  # redis-py can swallow a cancellation mid-command
            await asyncio.sleep(deps.settings.pressure_report_seconds)

    return report


def build(
    platform: PlatformSettings,
    settings: BookingSettings | None = None,
    sink: SeatChangeSink | None = None,
) -> ServiceModule:
    """The booking module; production refuses the default queue and ticket keys."""
    settings = settings or get_settings()
    refuse_default_secrets(
        platform,
        {
            "TIKETI_QUEUE_KEY": settings.queue_key,
            "TIKETI_BOOKING_TICKET_KEY": settings.ticket_key,
        },
    )
    live = RealtimeSeatSink()
    deps = BookingDeps(settings=settings, sink=sink or live)
    # The payment service in this process reads and confirms reservations through it.
    desk = PaymentDesk(deps.current)

    async def start(runtime: Runtime) -> None:
        deps.booking(runtime)

    async def stop(runtime: Runtime) -> None:
        await deps.booking(runtime).lane.close()  # before the engine is disposed

    return ServiceModule(
        name="booking",
        router=build_router(deps),
        schema=SCHEMA,
        migrations=MIGRATIONS,
        outbox=True,
        startup=[start],
        shutdown=[stop],
        workers=[_sweeper(deps), _pressure_reporter(deps)],
        subscriptions=[booking_subscription(deps), voids_subscription(deps.current)],
        exports={"booking": lambda: deps, RESERVATIONS_EXPORT: lambda: desk},
        sockets=socket_setup(live),
    )

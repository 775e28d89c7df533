"""What the payment routes need: the module's collaborators, built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from tiketi.contracts.reservations import RESERVATIONS_EXPORT, ReservationDesk
from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.inprocess import in_process_transport
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.service_tokens import ServiceTokenSource
from tiketi.services.payment.adapters.booking import BookingClient, BookingPort, InProcessBooking
from tiketi.services.payment.adapters.toss import TossClient
from tiketi.services.payment.service.common import Payments, Sandbox
from tiketi.services.payment.settings import TOSS_API_URL, PaymentSettings

log = structlog.get_logger("tiketi.payment")

# The base URL of calls served by this process's own app (never resolved on a network).
IN_PROCESS_URL = "http://in-process.tiketi"
SANDBOX_PREFIX = "/sandbox/toss"


@dataclass
class PaymentDeps:
    """One payment module's settings and its per-process collaborators."""

    settings: PaymentSettings
    # The sandbox's routes alone as an ASGI app (set by the module when it mounts the sandbox):
    # this process's TossClient calls it in-process without the platform's middleware.
    sandbox_app: Any = None
    _payments: Payments | None = None
    _sandbox: Sandbox | None = None

    def payments(self, runtime: Runtime) -> Payments:
        """The use cases' collaborators on this process's engines (made on first use)."""
        if self._payments is None:
            self._payments = Payments(
                settings=self.settings,
                uow=lambda: UnitOfWork(runtime.db.sessions),
                toss=self._toss(runtime),
                booking=self._booking(runtime),
            )
        return self._payments

    def sandbox(self, runtime: Runtime) -> Sandbox:
        """The sandbox's collaborators."""
        if self._sandbox is None:
            self._sandbox = Sandbox(
                settings=self.settings, uow=lambda: UnitOfWork(runtime.db.sessions)
            )
        return self._sandbox

    def current(self) -> Payments:
        """The Payments made at start-up (for the event handlers, which get no runtime)."""
        if self._payments is None:
            raise RuntimeError("payment has not started")
        return self._payments

    def _toss(self, runtime: Runtime) -> TossClient:
        settings = self.settings
        base_url = settings.toss_api_url or (None if settings.sandbox else TOSS_API_URL)
        transport: httpx.AsyncBaseTransport | None = None
        if base_url is None:
            # No key and no URL: this process's own sandbox, over httpx like TossPayments, into
            # the sandbox's routes (the edge's middleware is for clients, not for us).
            base_url = IN_PROCESS_URL + SANDBOX_PREFIX
            app = self.sandbox_app if self.sandbox_app is not None else runtime.asgi
            if self.sandbox_app is not None:
                app.state.runtime = runtime
            transport = in_process_transport(app)
        log.info("toss_client", base_url=base_url, sandbox=settings.sandbox)
        return TossClient(
            base_url=base_url,
            secret_key=settings.secret_key(),
            timeout=settings.toss_timeout_seconds,
            attempts=settings.toss_attempts,
            backoff=settings.toss_retry_backoff_seconds,
            transport=transport,
        )

    def _booking(self, runtime: Runtime) -> BookingPort:
        settings = self.settings
        base_url = settings.booking_url
        desk = runtime.exports.get(RESERVATIONS_EXPORT)
        if base_url is None and "booking" in runtime.services and desk is not None:
            # Booking in this process: its use cases directly, behind the same interface.
            reservations: ReservationDesk = desk()
            return InProcessBooking(reservations, timeout=settings.booking_timeout_seconds)
        transport: httpx.AsyncBaseTransport | None = None
        if base_url is None and "booking" in runtime.services:
            base_url = IN_PROCESS_URL
            transport = in_process_transport(runtime.asgi)
        if base_url is None:
            log.warning("booking_not_configured", hint="set TIKETI_PAYMENT_BOOKING_URL")
        return BookingClient(
            base_url=base_url,
            token=ServiceTokenSource(runtime.settings, service="payment"),
            timeout=settings.booking_timeout_seconds,
            transport=transport,
        )

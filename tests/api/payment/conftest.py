"""Payments over real HTTP: auth, booking and payment under uvicorn, the sandbox on the same
server reached over the network, and fixtures for a second "process" (the reconciler's)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence

import httpx
import pytest

from tests.api.booking.conftest import FAST_AUTH, booking_settings
from tests.api.gateway.support import RunningServer, closed_port, serve
from tiketi.kernel.app_factory import create_app
from tiketi.kernel.db import Database
from tiketi.kernel.module import ServiceModule
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.auth import module as auth_module
from tiketi.services.booking import module as booking_module
from tiketi.services.booking.settings import BookingSettings
from tiketi.services.payment import module as payment_module
from tiketi.services.payment.settings import PaymentSettings


def payment_settings(port: int, **overrides: object) -> PaymentSettings:
    """The sandbox reached over the network, short timeouts, a slow answer past them."""
    values: dict[str, object] = {
        "toss_api_url": f"http://127.0.0.1:{port}/sandbox/toss",
        "toss_timeout_seconds": 0.5,
        "toss_attempts": 3,
        "toss_retry_backoff_seconds": 0.05,
        "booking_timeout_seconds": 5.0,
        "sandbox_slow_seconds": 1.0,
        # The tests run the reconciler themselves (as another replica would).
        "reconcile_seconds": 3600.0,
    }
    values.update(overrides)
    return PaymentSettings(**values)  # type: ignore[arg-type]


@contextlib.contextmanager
def serving_payments(
    migrated: PlatformSettings,
    *,
    booking: BookingSettings | None = None,
    also: Sequence[Callable[[PlatformSettings], ServiceModule]] = (),
    **payment_overrides: object,
) -> Iterator[RunningServer]:
    """Auth, booking and payment (with its sandbox, reached over the network) and the modules
    `also` builds, in one uvicorn process on a random port; stopped on exit."""
    port = closed_port()
    platform = migrated.model_copy(update={"port": port})
    app = create_app(
        platform,
        [
            auth_module.build(platform, FAST_AUTH),
            booking_module.build(platform, booking or booking_settings()),
            payment_module.build(platform, payment_settings(port, **payment_overrides)),
            *(build(platform) for build in also),
        ],
        edge=False,
    )
    running = serve(app, port=port)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def server(migrated: PlatformSettings) -> Iterator[RunningServer]:
    """Auth, booking and payment in one uvicorn process on a random port."""
    with serving_payments(migrated) as running:
        yield running


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


@pytest.fixture
async def db(settings: PlatformSettings) -> AsyncIterator[Database]:
    assert settings.database_url
    database = Database(settings.database_url, pool_size=4)
    yield database
    await database.dispose()

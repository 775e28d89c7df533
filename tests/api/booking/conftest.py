"""Booking over HTTP: an app with auth and booking, fans, and events installed directly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.api.gateway.support import RunningServer, serve
from tests.conftest import start_client
from tiketi.kernel.app_factory import create_app
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.auth import module as auth_module
from tiketi.services.auth.settings import AuthSettings
from tiketi.services.booking import module as booking_module
from tiketi.services.booking.settings import BookingSettings

FAST_AUTH = AuthSettings(password_time_cost=1, password_memory_kib=8 * 1024)
QUEUE_KEY = "test-queue-key-of-at-least-32-bytes"


def booking_settings(**overrides: object) -> BookingSettings:
    values: dict[str, object] = {"queue_key": QUEUE_KEY, "sweep_seconds": 600.0}
    values.update(overrides)
    return BookingSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def api(settings: PlatformSettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client to an app serving auth and booking."""
    app = create_app(
        settings,
        [
            auth_module.build(settings, FAST_AUTH),
            booking_module.build(settings, booking_settings()),
        ],
        edge=False,
    )
    client, ctx = await start_client(app)
    try:
        yield client
    finally:
        await client.aclose()
        await ctx.__aexit__(None, None, None)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def server(migrated: PlatformSettings) -> Iterator[RunningServer]:
    """Auth and booking under a real uvicorn on a random port (sockets, racing clients)."""
    app = create_app(
        migrated,
        [
            auth_module.build(migrated, FAST_AUTH),
            booking_module.build(migrated, booking_settings()),
        ],
        edge=False,
    )
    running = serve(app)
    try:
        yield running
    finally:
        running.stop()

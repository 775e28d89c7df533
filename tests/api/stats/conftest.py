"""Stats over real HTTP: auth, booking, payment (with its sandbox) and stats under uvicorn,
the test's own runtime to drain the stats group, and an organizer, a stranger and an admin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.api.booking.conftest import booking_settings
from tests.api.booking.support import Fan, sign_up, sign_up_admin
from tests.api.gateway.support import RunningServer
from tests.api.payment.conftest import serving_payments
from tests.conftest import open_runtime
from tiketi.kernel.db import Database
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.stats import module as stats_module
from tiketi.services.stats.settings import StatsSettings


@pytest.fixture(scope="module")
def server(migrated: PlatformSettings) -> Iterator[RunningServer]:
    """The sale's services in one uvicorn process on a random port."""
    with serving_payments(
        migrated,
        # Expired holds are released (and announced) within moments.
        booking=booking_settings(sweep_seconds=0.2),
        also=[lambda platform: stats_module.build(platform, StatsSettings(push_seconds=1.0))],
        # Generous timeouts: a sale of hundreds on two cores is no fault-injection test.
        toss_timeout_seconds=10.0,
        booking_timeout_seconds=10.0,
    ) as running:
        yield running


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
async def runtime(settings: PlatformSettings) -> AsyncIterator[Runtime]:
    """The test's own runtime: drains the stats group, reads the tables."""
    async with open_runtime(settings) as opened:
        yield opened


@pytest.fixture
async def db(runtime: Runtime) -> Database:
    return runtime.db


@pytest.fixture
async def admin(http: httpx.AsyncClient, db: Database) -> Fan:
    return await sign_up_admin(http, db)


@pytest.fixture
async def organizer(http: httpx.AsyncClient) -> Fan:
    return await sign_up(http, "organizer")

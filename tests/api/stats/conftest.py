"""Stats over real HTTP: auth, booking, payment (with its sandbox) and stats under uvicorn,
the test's own runtime to drain the stats group, and an organizer, a stranger and an admin."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.api.booking.conftest import FAST_AUTH, booking_settings
from tests.api.booking.support import PASSWORD, Fan, sign_up
from tests.api.gateway.support import RunningServer, closed_port, serve
from tests.api.payment.conftest import payment_settings
from tests.conftest import open_runtime
from tiketi.kernel.app_factory import create_app
from tiketi.kernel.db import Database
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.auth import module as auth_module
from tiketi.services.auth.commands import create_admin
from tiketi.services.booking import module as booking_module
from tiketi.services.payment import module as payment_module
from tiketi.services.stats import module as stats_module
from tiketi.services.stats.settings import StatsSettings


@pytest.fixture(scope="module")
def server(migrated: PlatformSettings) -> Iterator[RunningServer]:
    """The sale's services in one uvicorn process on a random port."""
    port = closed_port()
    platform = migrated.model_copy(update={"port": port})
    app = create_app(
        platform,
        [
            auth_module.build(platform, FAST_AUTH),
            # Expired holds are released (and announced) within moments.
            booking_module.build(platform, booking_settings(sweep_seconds=0.2)),
            # Generous timeouts: a sale of hundreds on two cores is no fault-injection test.
            payment_module.build(
                platform,
                payment_settings(port, toss_timeout_seconds=10.0, booking_timeout_seconds=10.0),
            ),
            stats_module.build(platform, StatsSettings(push_seconds=1.0)),
        ],
        edge=False,
    )
    running = serve(app, port=port)
    try:
        yield running
    finally:
        running.stop()


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
    email = f"admin-{uuid.uuid4().hex[:12]}@example.com"
    made = await create_admin(db, email=email, password=PASSWORD, name="Admin", settings=FAST_AUTH)
    login = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return Fan(made["id"], login.json()["access_token"])


@pytest.fixture
async def organizer(http: httpx.AsyncClient) -> Fan:
    return await sign_up(http, "organizer")

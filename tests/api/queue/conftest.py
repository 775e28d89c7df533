"""The waiting room over HTTP: auth, booking and queue under a real uvicorn; fans minted."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from tests.api.booking.conftest import booking_settings
from tests.api.booking.support import Fan
from tests.api.gateway.support import RunningServer, serve
from tests.api.queue.support import queue_settings
from tiketi.kernel.app_factory import create_app
from tiketi.kernel.redis import create_redis
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import RedisServer
from tiketi.services.auth import module as auth_module
from tiketi.services.auth.adapters.keys import KeyPair
from tiketi.services.auth.domain.models import access_claims
from tiketi.services.auth.settings import AuthSettings
from tiketi.services.booking import module as booking_module
from tiketi.services.queue import module as queue_module
from tiketi.services.queue.settings import QueueSettings

# A known signing key: a thousand fans get access tokens without a thousand argon2 sign-ups.
SIGNING_KEY = KeyPair.generate()
AUTH = AuthSettings(
    password_time_cost=1,
    password_memory_kib=8 * 1024,
    signing_key=SecretStr(SIGNING_KEY.to_pem()),
)


def mint(user_id: str | None = None) -> Fan:
    """A signed-in fan (an access token as auth would issue it)."""
    user = user_id or str(uuid.uuid4())
    claims = access_claims(
        user_id=user, role="customer", email=f"{user[:8]}@example.com", issuer="tiketi",
        audience="tiketi", issued_at=datetime.now(UTC), lifetime=timedelta(minutes=15),
    )  # fmt: skip
    return Fan(user, SIGNING_KEY.sign(claims))


def platform_app(platform: PlatformSettings, settings: QueueSettings) -> object:
    """Auth, booking (the socket host) and the queue in one app, as `tiketi serve` has them."""
    return create_app(
        platform,
        [
            auth_module.build(platform, AUTH),
            booking_module.build(platform, booking_settings()),
            queue_module.build(platform, settings),
        ],
        edge=False,
    )


def start_server(migrated: PlatformSettings, settings: QueueSettings) -> RunningServer:
    platform = migrated.model_copy(update={"db_pool_size": 20})
    return serve(platform_app(platform, settings))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server(migrated: PlatformSettings) -> Iterator[RunningServer]:
    running = start_server(migrated, queue_settings(join_per_user_burst=20, event_cache_seconds=1))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:
        yield client


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[object]:
    client = create_redis(redis_server.url)
    yield client
    await client.aclose()

"""Fixtures: one echo upstream and one gateway in front of it, both real uvicorn servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.api.gateway.support import (
    RunningServer,
    StartGateway,
    Upstream,
    closed_port,
    echo_app,
    gateway_app,
    gateways,
    serve,
)
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import RedisServer
from tiketi.services.gateway.settings import GatewaySettings


@pytest.fixture(scope="module")
def seen() -> Upstream:
    return Upstream()


@pytest.fixture(scope="module")
def upstream(seen: Upstream) -> Iterator[RunningServer]:
    server = serve(echo_app(seen), lifespan="off")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def platform(redis_server: RedisServer) -> PlatformSettings:
    """No database at all: the gateway must not need one. The edge limit is on, but generous."""
    return PlatformSettings(env="test", redis_url=redis_server.url, rate_limit_per_minute=600_000)


@pytest.fixture(scope="module")
def gateway(platform: PlatformSettings, upstream: RunningServer) -> Iterator[RunningServer]:
    """auth and booking → the echo app; stats → a closed port; catalog and the rest unset."""
    settings = GatewaySettings(
        auth_url=upstream.url,
        booking_url=upstream.url + "/",
        stats_url=f"http://127.0.0.1:{closed_port()}",
        read_timeout_seconds=10,
    )
    server = serve(gateway_app(platform, settings))
    yield server
    server.stop()


@pytest.fixture
def start_gateway(platform: PlatformSettings) -> Iterator[StartGateway]:
    """Start gateways with the given GatewaySettings fields; stopped after the test."""
    with gateways(platform) as start:
        yield start


@pytest.fixture
async def http(gateway: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, trust_env=False, timeout=20) as client:
        yield client

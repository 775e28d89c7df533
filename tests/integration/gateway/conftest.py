"""Fixtures for the gateway's failure tests: an echo upstream and gateways started per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.gateway.support import (
    RunningServer,
    StartGateway,
    Upstream,
    echo_app,
    gateways,
    serve,
)
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import RedisServer


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningServer]:
    server = serve(echo_app(Upstream()), lifespan="off")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def platform(redis_server: RedisServer) -> PlatformSettings:
    return PlatformSettings(env="test", redis_url=redis_server.url, rate_limit_per_minute=0)


@pytest.fixture
def start_gateway(platform: PlatformSettings) -> Iterator[StartGateway]:
    """Start gateways with the given GatewaySettings fields; stopped after the test."""
    with gateways(platform) as start:
        yield start

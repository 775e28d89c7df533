"""Fixtures for the gateway's failure tests: an echo upstream and gateways started per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.api.gateway.support import RunningServer, Upstream, echo_app, gateway_app, serve
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import RedisServer
from tiketi.services.gateway.settings import GatewaySettings

StartGateway = Callable[..., RunningServer]


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
    started: list[RunningServer] = []

    def start(**settings: object) -> RunningServer:
        server = serve(gateway_app(platform, GatewaySettings(**settings)))  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()

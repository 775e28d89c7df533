"""The split mode: auth and the gateway as separate processes sharing PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import Served
from tiketi.kernel.testing.servers import PostgresServer, RedisServer

pytestmark = pytest.mark.slow


@pytest.fixture
def split(
    tmp_path: Path, pg: PostgresServer, redis_server: RedisServer
) -> Iterator[tuple[Served, Served]]:
    engines = {"TIKETI_DATABASE_URL": pg.dsn, "TIKETI_REDIS_URL": redis_server.url}
    auth = Served(
        tmp_path / "auth.log",
        {**engines, "TIKETI_TRUSTED_PROXY_HOPS": "1"},
        ["auth", "--migrate"],
    )
    gateway = Served(
        tmp_path / "gateway.log",
        {
            "TIKETI_REDIS_URL": redis_server.url,
            "TIKETI_GATEWAY_AUTH_URL": auth.url,
            "TIKETI_JWKS_URL": auth.url + "/api/v1/auth/jwks",
        },
        ["gateway"],
    )
    try:
        auth.start()
        gateway.start()
        yield auth, gateway
    finally:
        gateway.kill()
        auth.kill()


def test_sign_up_through_the_gateway(split: tuple[Served, Served]) -> None:
    auth, gateway = split
    body = {"email": "split@example.com", "password": "split mode passphrase", "name": "Split"}
    created = httpx.post(
        gateway.url + "/api/v1/auth/register",
        json=body,
        headers={"X-Request-ID": "split-test-1"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    assert created.headers["x-request-id"] == "split-test-1"
    token = created.json()["access_token"]
    me = httpx.get(
        gateway.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert me.status_code == 200
    assert me.json()["email"] == "split@example.com"
    # The request id crossed the process boundary: auth logged the same id.
    assert "split-test-1" in auth.log.read_text()
    # Routes the split deployment does not run answer in the error shape, not with a crash.
    missing = httpx.get(gateway.url + "/api/v1/stats/overview", timeout=10)
    assert missing.status_code == 503
    assert missing.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    # The gateway publishes the services' operations as one document.
    document = httpx.get(gateway.url + "/openapi.json", timeout=10).json()
    assert "/api/v1/auth/register" in document["paths"]
    assert "/api/v1/auth/users/{id}/role" in document["paths"]
    assert "x-tiketi-unavailable" not in document
    # SIGTERM drains and exits cleanly.
    assert gateway.stop() == 0
    assert auth.stop() == 0

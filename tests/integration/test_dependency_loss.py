"""When PostgreSQL or Redis goes away: 503s and /ready say so; when it returns, service resumes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.api.platform.probe import build_probe
from tests.conftest import start_client
from tiketi.kernel.app_factory import create_app
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import PostgresServer, RedisServer, start_postgres, start_redis

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own_servers() -> Iterator[tuple[PostgresServer, RedisServer]]:
    pg, redis = start_postgres(), start_redis()
    try:
        yield pg, redis
    finally:
        pg.close()
        redis.close()


@pytest.fixture
async def probe(
    own_servers: tuple[PostgresServer, RedisServer],
) -> AsyncIterator[httpx.AsyncClient]:
    pg, redis = own_servers
    settings = PlatformSettings(
        env="test",
        database_url=pg.url,
        redis_url=redis.url,
        rate_limit_per_minute=0,
        db_timeout_seconds=2,
        redis_timeout_seconds=1,
    )
    client, ctx = await start_client(create_app(settings, [build_probe()]))
    yield client
    await client.aclose()
    await ctx.__aexit__(None, None, None)  # type: ignore[attr-defined]


async def eventually_ok(client: httpx.AsyncClient, path: str, seconds: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response = await client.get(path)
        if response.status_code == 200:
            return
        assert asyncio.get_running_loop().time() < deadline, response.text
        await asyncio.sleep(0.3)


async def test_postgres_loss_and_recovery(
    probe: httpx.AsyncClient, own_servers: tuple[PostgresServer, RedisServer]
) -> None:
    pg, _ = own_servers
    assert (await probe.get("/api/v1/probe/db")).json() == {"value": 42}
    pg.stop()
    try:
        response = await probe.get("/api/v1/probe/db")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "DEPENDENCY_UNAVAILABLE"
        ready = await probe.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["error"]["details"]["redis"] == "ok"
        assert "database" in ready.json()["error"]["message"]
        assert (await probe.get("/api/v1/probe/redis")).status_code == 200
    finally:
        pg.start()
    await eventually_ok(probe, "/api/v1/probe/db")
    assert (await probe.get("/ready")).status_code == 200


async def test_redis_loss_and_recovery(
    probe: httpx.AsyncClient, own_servers: tuple[PostgresServer, RedisServer]
) -> None:
    _, redis = own_servers
    assert (await probe.get("/api/v1/probe/redis")).status_code == 200
    redis.stop()
    try:
        response = await probe.get("/api/v1/probe/redis")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "DEPENDENCY_UNAVAILABLE"
        ready = await probe.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["error"]["details"]["database"] == "ok"
        assert "redis" in ready.json()["error"]["message"]
    finally:
        redis.start()
    await eventually_ok(probe, "/api/v1/probe/redis")
    assert (await probe.get("/ready")).status_code == 200

"""Shared fixtures: throwaway PostgreSQL and Redis for the session, settings and apps per test."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator, Sequence

import httpx
import pytest
from fastapi import FastAPI

from tiketi.kernel.db import Database
from tiketi.kernel.logs import configure_logging
from tiketi.kernel.redis import create_redis
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import PostgresServer, RedisServer, start_postgres, start_redis
from tiketi.kernel.tokens import TokenVerifier

# Nothing in a test may pick up a developer's own environment.
for _name in list(os.environ):
    if _name.startswith("TIKETI_") or _name in {"PORT", "OTEL_EXPORTER_OTLP_ENDPOINT"}:
        del os.environ[_name]

configure_logging(level="INFO", json=True)


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def base_settings(pg: PostgresServer, redis_server: RedisServer) -> PlatformSettings:
    """Settings pointing at the session's servers; tests copy them with changes."""
    return PlatformSettings(
        env="test",
        database_url=pg.url,
        redis_url=redis_server.url,
        rate_limit_per_minute=0,
        log_json=True,
    )


@pytest.fixture(scope="session")
def migrated(base_settings: PlatformSettings) -> PlatformSettings:
    """Every built service's schema migrated once for the session."""
    from tiketi.app import build_modules
    from tiketi.kernel.migrate import upgrade_sync

    assert base_settings.database_url
    upgrade_sync(build_modules(base_settings), base_settings.database_url)
    return base_settings


@pytest.fixture
def settings(migrated: PlatformSettings) -> PlatformSettings:
    return migrated


async def start_client(app: FastAPI) -> tuple[httpx.AsyncClient, object]:
    ctx = app.router.lifespan_context(app)
    await ctx.__aenter__()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    return client, ctx


@pytest.fixture
async def make_client(
    settings: PlatformSettings,
) -> AsyncIterator[object]:
    """A factory of HTTP clients to an in-process app: make_client(settings=…, services=…)."""
    from tiketi.app import create_platform_app

    opened: list[tuple[httpx.AsyncClient, object]] = []

    async def factory(
        custom: PlatformSettings | None = None, services: Sequence[str] | None = None
    ) -> httpx.AsyncClient:
        app = create_platform_app(custom or settings, services)
        client, ctx = await start_client(app)
        opened.append((client, ctx))
        return client

    yield factory
    for client, ctx in reversed(opened):
        await client.aclose()
        await ctx.__aexit__(None, None, None)  # type: ignore[attr-defined]


@pytest.fixture
async def client(make_client: object) -> httpx.AsyncClient:
    """An HTTP client to the one-process app (every built service)."""
    return await make_client()  # type: ignore[operator, no-any-return]


async def _no_keys() -> dict[str, object]:
    return {"keys": []}


@contextlib.asynccontextmanager
async def open_runtime(
    settings: PlatformSettings, *, redis_db: int | None = None, pool_size: int = 5
) -> AsyncIterator[Runtime]:
    """A Runtime on the session's servers without an app (use cases, workers, consumers).

    `redis_db` gives the caller a Redis database of its own, so what it relays or consumes
    there meets no other test's consumers. Its verifier knows no keys: no token verifies.
    Redis databases in use (each at most one owner that flushes or runs consumers; keep them
    unique): 0 the session's apps, 8 booking (+ rate-limit/idempotency keys), 9 streams,
    7 serve --workers, 10 queue, 11 seat-map cross-process, 12 notify, 13 notify API, 14 web app,
    15 hostile input.
    """
    assert settings.database_url and settings.redis_url
    if redis_db is not None:  # the session's URL names database 0: redis://host:port/0
        base = settings.redis_url.rsplit("/", 1)[0]
        settings = settings.model_copy(update={"redis_url": f"{base}/{redis_db}"})
    assert settings.redis_url
    db = Database(settings.database_url, pool_size=pool_size)
    redis = create_redis(settings.redis_url)
    try:
        yield Runtime(
            settings=settings,
            db=db,
            redis=redis,
            verifier=TokenVerifier(_no_keys, issuer="tiketi", audience="tiketi"),  # type: ignore[arg-type]
        )
    finally:
        await redis.aclose()
        await db.dispose()

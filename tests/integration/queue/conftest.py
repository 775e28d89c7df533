"""The waiting room against real PostgreSQL and Redis: a runtime, the Queue use cases, users."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.api.queue.support import RecordingNotifier, queue_settings
from tiketi.kernel.db import Database
from tiketi.kernel.redis import create_redis
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import RedisServer
from tiketi.kernel.tokens import TokenVerifier
from tiketi.services.queue.api.deps import QueueDeps
from tiketi.services.queue.service.admitter import Admitter
from tiketi.services.queue.service.common import Queue


async def _no_keys() -> dict[str, object]:
    return {"keys": []}


@pytest.fixture(scope="module")
async def runtime(migrated: PlatformSettings, redis_server: RedisServer) -> AsyncIterator[Runtime]:
    assert migrated.database_url
    # A Redis database of our own: the lease and the rooms here are nobody else's.
    redis_url = f"redis://127.0.0.1:{redis_server.port}/9"
    rt = Runtime(
        settings=migrated.model_copy(update={"redis_url": redis_url}),
        db=Database(migrated.database_url, pool_size=20),
        redis=create_redis(redis_url),
        verifier=TokenVerifier(_no_keys, issuer="tiketi", audience="tiketi"),  # type: ignore[arg-type]
    )
    yield rt
    await rt.redis.aclose()
    await rt.db.dispose()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def deps(notifier: RecordingNotifier) -> QueueDeps:
    return QueueDeps(settings=queue_settings(), notifier=notifier)


@pytest.fixture
def queue(runtime: Runtime, deps: QueueDeps) -> Queue:
    return deps.queue(runtime)


@pytest.fixture
def admitter(queue: Queue) -> Admitter:
    return Admitter(queue, owner=f"test-{uuid.uuid4().hex[:8]}")


def fans(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]

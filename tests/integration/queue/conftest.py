"""The waiting room against real PostgreSQL and Redis: a runtime, the Queue use cases, users."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.api.queue.support import RecordingNotifier, queue_settings
from tests.conftest import open_runtime
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.queue.api.deps import QueueDeps
from tiketi.services.queue.service.admitter import Admitter
from tiketi.services.queue.service.common import Queue


@pytest.fixture(scope="module")
async def runtime(migrated: PlatformSettings) -> AsyncIterator[Runtime]:
    # A Redis database of our own: the lease and the rooms here are nobody else's.
    async with open_runtime(migrated, redis_db=10, pool_size=20) as rt:
        yield rt


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

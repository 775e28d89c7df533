"""Stats against real PostgreSQL and Redis: a runtime for handlers, drains and rebuilds."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import open_runtime
from tests.integration.stats.support import stats_of
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.stats.service.common import Stats


@pytest.fixture
async def runtime(settings: PlatformSettings) -> AsyncIterator[Runtime]:
    async with open_runtime(settings) as opened:
        yield opened


@pytest.fixture
def stats(runtime: Runtime) -> Stats:
    return stats_of(runtime)

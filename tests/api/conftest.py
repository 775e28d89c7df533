"""Shared by the API suites: a connection pool of the test's own to the migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings


@pytest.fixture
async def db(settings: PlatformSettings) -> AsyncIterator[Database]:
    """A small pool for reading and arranging rows beside the app under test; suites that need
    another pool (or the runtime's) override it."""
    assert settings.database_url
    database = Database(settings.database_url, pool_size=2)
    yield database
    await database.dispose()

"""Auth use cases and repositories against the session's real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from tiketi.kernel.db import Database, UnitOfWork
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.auth.adapters.hashing import PasswordHashing
from tiketi.services.auth.adapters.keys import KeyPair, KeyRing
from tiketi.services.auth.service import TokenPolicy

# argon2's cheapest parameters: these tests are about rules and races, not hashing cost.
FAST_HASHING = {"time_cost": 1, "memory_kib": 8 * 1024, "parallelism": 1}


@pytest.fixture
async def db(settings: PlatformSettings) -> AsyncIterator[Database]:
    assert settings.database_url
    database = Database(settings.database_url, pool_size=10, max_overflow=10)
    yield database
    await database.dispose()


@pytest.fixture
def new_uow(db: Database) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(db.sessions)


@pytest.fixture
def hasher() -> PasswordHashing:
    return PasswordHashing(**FAST_HASHING)


@pytest.fixture
def policy() -> TokenPolicy:
    ring = KeyRing()
    ring.install(KeyPair.generate())
    return TokenPolicy(
        keys=ring,
        issuer="tiketi",
        audience="tiketi",
        access_lifetime=timedelta(minutes=15),
        refresh_lifetime=timedelta(days=30),
    )


@pytest.fixture
def email() -> str:
    """An address no other test uses."""
    return f"fan-{uuid.uuid4().hex[:12]}@example.com"

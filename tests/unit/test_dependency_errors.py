"""Which exceptions mean "PostgreSQL or Redis is away" (503), not a bug (500)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from tiketi.kernel.errors import is_dependency_error


def _as_sqlalchemy_raises(driver: Exception) -> DBAPIError:
    """What SQLAlchemy raises for a driver error on connect: its adapter's Error, from the
    driver's exception, wrapped in a DBAPIError."""
    adapted = AsyncAdapt_asyncpg_dbapi.Error(str(driver), driver)
    adapted.__cause__ = driver
    return DBAPIError("SELECT 1", {}, adapted)


@pytest.mark.parametrize(
    "driver",
    [
        # PostgreSQL restarting: what a request sees between the stop and the start.
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
)
def test_a_restarting_database_is_a_dependency_error(driver: Exception) -> None:
    assert is_dependency_error(_as_sqlalchemy_raises(driver))


def test_a_bad_query_is_not() -> None:
    driver = asyncpg.exceptions.UndefinedColumnError('column "nope" does not exist')
    assert not is_dependency_error(_as_sqlalchemy_raises(driver))

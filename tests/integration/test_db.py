"""The engine: a checkout cancelled mid-connect leaves nothing behind; idle connections are
pinged at checkout, busy ones not, and a dead one is replaced."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import DBAPIError

from tiketi.kernel.db import Database
from tiketi.kernel.testing.servers import PostgresServer


async def test_a_checkout_cancelled_while_connecting_leaves_no_stray_error(
    pg: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What shutdown does to a worker at its first checkout: cancel it while asyncpg is opening
    # the socket. asyncpg's SSL negotiation then used to report "Future exception was never
    # retrieved ... unexpected connection_lost() call" once the future was collected.
    loop = asyncio.get_running_loop()
    reports: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reports.append(context))
    db = Database(pg.url, pool_size=4)
    checkouts: list[asyncio.Task[None]] = []
    real_create_connection = loop.create_connection

    async def create_connection(factory: Callable[[], Any], *args: Any, **kwargs: Any) -> Any:
        def protocol() -> Any:
            # The socket exists, its protocol is being made: the caller gives up right now.
            checkouts[-1].cancel()
            return factory()

        return await real_create_connection(protocol, *args, **kwargs)

    monkeypatch.setattr(loop, "create_connection", create_connection)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            for _ in range(3):
                checkouts.append(asyncio.create_task(db.ping()))
                with pytest.raises(asyncio.CancelledError):
                    await checkouts[-1]
            monkeypatch.undo()
            await db.ping()  # the engine is fine afterwards
            await db.dispose()
            checkouts.clear()
            gc.collect()
            await asyncio.sleep(0)
    finally:
        monkeypatch.undo()
        loop.set_exception_handler(previous)
    assert [r.get("message") for r in reports] == []
    # The connections made for the callers who left were closed, not left to the collector
    # (asyncpg warns "unclosed connection" when it has to terminate one itself).
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


async def _backend_pid(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(pg: PostgresServer, pid: int) -> None:
    other = Database(pg.url, pool_size=1)
    try:
        async with other.engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def test_an_idle_connection_is_pinged_and_a_dead_one_replaced_at_checkout(
    pg: PostgresServer,
) -> None:
    # Every connection counts as idle: each checkout pings.
    db = Database(pg.url, pool_size=1, max_overflow=0, ping_after_idle=0)
    try:
        pid = await _backend_pid(db)
        await _terminate(pg, pid)
        # The checkout's ping finds it dead; the pool takes a new one and the query succeeds.
        assert await _backend_pid(db) != pid
    finally:
        await db.dispose()


async def test_a_connection_used_a_moment_ago_is_not_pinged_and_a_disconnect_renews_the_pool(
    pg: PostgresServer,
) -> None:
    db = Database(pg.url, pool_size=2, max_overflow=0)
    pings = 0
    real = AsyncAdapt_asyncpg_connection.ping

    def counting(self: Any) -> None:
        nonlocal pings
        pings += 1
        real(self)

    try:
        AsyncAdapt_asyncpg_connection.ping = counting  # type: ignore[method-assign]
        pid = await _backend_pid(db)
        for _ in range(5):
            assert await _backend_pid(db) == pid  # busy: reused at once, never pinged
        assert pings == 0
        # Its server went away a moment after its last use: the first statement says so (a
        # disconnect, a 503 at the edge), and the pool then hands out a fresh connection.
        await _terminate(pg, pid)
        with pytest.raises(DBAPIError) as failed:
            await _backend_pid(db)
        assert failed.value.connection_invalidated
        assert await _backend_pid(db) != pid
    finally:
        AsyncAdapt_asyncpg_connection.ping = real  # type: ignore[method-assign]
        await db.dispose()

"""The engine under cancellation: a checkout cancelled mid-connect leaves nothing behind."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable
from typing import Any

import pytest

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

"""A few of the engine's pooled connections, kept checked out for the hot hold path.

A checkout from SQLAlchemy's pool pre-pings the connection (with asyncpg: BEGIN, a ping,
ROLLBACK — three round trips, about 0.8 ms here), which is more than a hold itself costs (one
round trip). So holds take a connection this lane already checked out; one left idle for
`idle_seconds` goes back to the pool, and one that failed mid-statement is invalidated. These
are the engine's own connections: the lane never opens more than the pool allows, it only
keeps up to `size` of them a little longer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tiketi.kernel.errors import DependencyUnavailable, DomainError

log = structlog.get_logger("tiketi.booking")

# Exceptions after which a connection's state is unknown.
_BROKEN = (asyncio.CancelledError, OSError, TimeoutError, asyncpg.InterfaceError,
           asyncpg.PostgresConnectionError)  # fmt: skip


class Lane:
    """Up to `size` checked-out connections, reused LIFO; idle ones are returned."""

    def __init__(self, engine: AsyncEngine, *, size: int, idle_seconds: float = 5.0) -> None:
        self._engine = engine
        self._slots = asyncio.Semaphore(size)
        self._idle_seconds = idle_seconds
        self._idle: list[tuple[AsyncConnection, float]] = []
        self._closing: set[asyncio.Task[None]] = set()
        self._reaper: asyncio.TimerHandle | None = None

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """An asyncpg connection for a few statements; no transaction is open on it."""
        async with self._slots:
            conn = self._idle.pop()[0] if self._idle else await self._engine.connect()
            driver: Any = None
            try:
                driver = (await conn.get_raw_connection()).driver_connection
                yield driver
            except BaseException as exc:
                # A refused statement ends its implicit transaction and leaves the connection
                # as good as before; a cancelled statement or a broken link does not.
                if not isinstance(exc, _BROKEN) and driver is not None and not driver.is_closed():
                    self._release(conn)
                    raise
                self._finish(conn, invalidate=True)
                if isinstance(exc, Exception) and not isinstance(exc, DomainError):
                    # PostgreSQL went away (a restart): a 503, like a failed pool checkout.
                    raise DependencyUnavailable() from exc
                raise
            self._release(conn)

    def _release(self, conn: AsyncConnection) -> None:
        self._idle.append((conn, time.monotonic()))
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().call_later(self._idle_seconds, self._reap)

    def _reap(self) -> None:
        self._reaper = None
        cutoff = time.monotonic() - self._idle_seconds
        # The list is oldest first (LIFO reuse keeps the busy ones at the end).
        while self._idle and self._idle[0][1] <= cutoff:
            self._finish(self._idle.pop(0)[0], invalidate=False)
        if self._idle:
            self._reaper = asyncio.get_running_loop().call_later(self._idle_seconds, self._reap)

    def _finish(self, conn: AsyncConnection, *, invalidate: bool) -> None:
        task = asyncio.ensure_future(self._give_back(conn, invalidate=invalidate))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _give_back(self, conn: AsyncConnection, *, invalidate: bool) -> None:
        try:
            if invalidate:
                await conn.invalidate()
            await conn.close()
        except Exception as exc:  # broken already: the pool has forgotten it
            log.debug("booking_lane_close_failed", error=str(exc))

    async def close(self) -> None:
        """Give every idle connection back to the pool (before the engine is disposed)."""
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        while self._idle:
            self._finish(self._idle.pop()[0], invalidate=False)
        while self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)

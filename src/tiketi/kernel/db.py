"""Async SQLAlchemy 2 on asyncpg: one engine per process, sessions, and the unit of work."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import asyncpg
from sqlalchemy import MetaData, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations and error mapping can rely on them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_metadata(schema: str) -> MetaData:
    """A MetaData bound to one service's own Postgres schema."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def declarative_base(schema: str) -> type[DeclarativeBase]:
    """A declarative base whose tables live in the given schema."""

    class Base(DeclarativeBase):
        metadata = schema_metadata(schema)

    return Base


def async_url(url: str) -> str:
    """Accept plain postgres URLs (as RDS and operators write them) and select asyncpg."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("TIKETI_DATABASE_URL must be a postgresql:// URL")


class _Connector:
    """asyncpg.connect for the engine, never abandoned half-way.

    Cancelling a task while asyncpg opens a TCP connection (shutdown cancelling a background
    worker at its first checkout, a disconnecting client cancelling its request) makes asyncio
    close the half-open socket, and asyncpg's SSL-negotiation protocol (TLSUpgradeProto) then
    sets an exception on a future nobody awaits any more: "Future exception was never retrieved
    ... unexpected connection_lost() call". So the attempt runs in a task of its own that the
    caller's cancellation does not reach; if the caller gave up, the connection is closed as
    soon as it is made, and dispose() waits for those closes.
    """

    def __init__(self, close_timeout: float) -> None:
        self._close_timeout = close_timeout
        self._orphans: set[asyncio.Future[Any]] = set()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        attempt = asyncio.ensure_future(asyncpg.connect(*args, **kwargs))
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            self._track(attempt, self._close_orphan)
            raise

    def _track(
        self, task: asyncio.Future[Any], done: Callable[[asyncio.Future[Any]], object]
    ) -> None:
        self._orphans.add(task)
        task.add_done_callback(done)

    def _close_orphan(self, attempt: asyncio.Future[Any]) -> None:
        self._forget(attempt)
        if attempt.cancelled() or attempt.exception() is not None:
            return  # no connection was made (exception() marks the error as seen)
        closing = asyncio.ensure_future(attempt.result().close(timeout=self._close_timeout))
        self._track(closing, self._forget)

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._orphans.discard(task)
        if not task.cancelled():
            task.exception()  # a failed close of a connection nobody wanted is not news

    async def drain(self) -> None:
        """Wait until connections whose callers gave up are made and closed (or failed)."""
        while self._orphans:
            await asyncio.wait(set(self._orphans))


# A connection idle at least this long is pinged when checked out of the pool.
PING_AFTER_IDLE_SECONDS = 2.0


def ping_idle_connections(engine: AsyncEngine, *, after: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Check a connection at checkout only when it sat idle `after` seconds or more.

    SQLAlchemy's pool_pre_ping pings at every checkout: with asyncpg that is BEGIN, a ping and
    ROLLBACK, three round trips, more than many transactions cost themselves. A connection
    used a moment ago is as good as a ping; one whose server went away since fails its first
    statement, which SQLAlchemy reports as a disconnect (a 503 here, kernel/errors.py) and
    answers by renewing every pooled connection older than the failure. A ping that fails
    raises DisconnectionError, and the pool takes another connection (up to three tries).
    """
    sync = engine.sync_engine

    @event.listens_for(sync, "connect")
    @event.listens_for(sync, "checkin")
    def _idle_from_now(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since < after:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError("the pooled connection is gone") from exc


class Database:
    """The process's engine and session factory."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        timeout: float = 5.0,
        ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
    ) -> None:
        self.url = async_url(url)
        self._connector = _Connector(close_timeout=timeout)
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=timeout,
            # ping_idle_connections (below) finds a dead connection at checkout, so the service
            # recovers by itself after PostgreSQL restarts.
            pool_recycle=1800,
            connect_args={
                "timeout": timeout,
                "command_timeout": 30,
                "async_creator_fn": self._connector,
            },
        )
        ping_idle_connections(self.engine, after=ping_after_idle)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def ping(self) -> None:
        """Raise unless PostgreSQL answers a trivial query."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection, and those still being made for callers who left."""
        # Bounded: asyncpg gives up connecting after `timeout`, and closing after as long.
        await self._connector.drain()
        await self.engine.dispose()


class UnitOfWork:
    """One transaction: `async with uow: ...; await uow.commit()`; anything else rolls back."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        """Commit the transaction."""
        await self.session.commit()

    async def rollback(self) -> None:
        """Roll back whatever was not committed."""
        await self.session.rollback()

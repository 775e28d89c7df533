"""Async SQLAlchemy 2 on asyncpg: one engine per process, sessions, and the unit of work."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import MetaData, text
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


class Database:
    """The process's engine and session factory."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        timeout: float = 5.0,
    ) -> None:
        self.url = async_url(url)
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=timeout,
            # A dead connection is found and replaced at checkout, so the
            # service recovers by itself after PostgreSQL restarts.
            pool_pre_ping=True,
            pool_recycle=1800,
            connect_args={"timeout": timeout, "command_timeout": 30},
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def ping(self) -> None:
        """Raise unless PostgreSQL answers a trivial query."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
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

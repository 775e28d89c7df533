"""Per-service Alembic trees, each in its own Postgres schema, run programmatically."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from tiketi.kernel.db import async_url
from tiketi.kernel.module import ServiceModule

log = structlog.get_logger("tiketi.migrate")

# Any fixed number: every process that migrates takes this lock, so replicas
# starting together (or a Kubernetes Job beside a pod) never race.
_ADVISORY_LOCK = 7_204_415_001


def alembic_config(module: ServiceModule, url: str) -> Config:
    """An Alembic config for one service's tree."""
    assert module.migrations is not None and module.schema is not None
    cfg = Config()
    cfg.set_main_option("script_location", str(module.migrations))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["url"] = async_url(url)
    cfg.attributes["schema"] = module.schema
    return cfg


def run_env(context: Any, target_metadata: Any = None) -> None:
    """The body of every service's migrations/env.py: migrate online in the service's schema."""
    cfg = context.config
    schema: str = cfg.attributes["schema"]
    url: str = cfg.attributes["url"]

    def do_run(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table="alembic_version",
            version_table_schema=schema,
            include_schemas=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_LOCK})
                try:
                    await connection.run_sync(do_run)
                    await connection.commit()
                finally:
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_LOCK}
                    )
                    await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())


def upgrade_sync(modules: Sequence[ServiceModule], url: str, revision: str = "head") -> list[str]:
    """Migrate every module that has a tree; returns the schemas migrated."""
    done = []
    for module in modules:
        if module.migrations is None or module.schema is None:
            continue
        command.upgrade(alembic_config(module, url), revision)
        log.info("migrated", service=module.name, schema=module.schema, revision=revision)
        done.append(module.schema)
    return done


async def upgrade(modules: Sequence[ServiceModule], url: str, revision: str = "head") -> list[str]:
    """Migrate from async code: Alembic runs its own event loop, so it gets a thread."""
    return await asyncio.to_thread(upgrade_sync, modules, url, revision)

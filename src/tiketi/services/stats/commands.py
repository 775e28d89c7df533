"""Operator commands of the stats service (the CLI's `tiketi stats rebuild`)."""

from __future__ import annotations

from typing import Any

from tiketi.kernel.db import Database
from tiketi.kernel.errors import DependencyUnavailable
from tiketi.kernel.redis import create_redis
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.streams import ConsumeStats
from tiketi.kernel.tokens import TokenVerifier
from tiketi.services.stats.service.rebuild import rebuild


async def _no_keys() -> dict[str, Any]:
    # A one-off job verifies no tokens.
    raise DependencyUnavailable("tiketi stats rebuild verifies no tokens")


async def rebuild_from_settings(settings: PlatformSettings) -> ConsumeStats:
    """Rebuild stats' tables from the streams on the platform's database and Redis."""
    assert settings.database_url and settings.redis_url
    db = Database(settings.database_url, pool_size=2)
    redis = create_redis(settings.redis_url, timeout=settings.redis_timeout_seconds)
    runtime = Runtime(
        settings=settings,
        db=db,
        redis=redis,
        verifier=TokenVerifier(
            _no_keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        ),
    )
    try:
        return await rebuild(runtime)
    finally:
        await redis.aclose()
        await db.dispose()

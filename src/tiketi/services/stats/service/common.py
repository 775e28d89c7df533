"""What every stats use case shares: its collaborators for one process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from tiketi.kernel.db import UnitOfWork
from tiketi.services.stats.settings import StatsSettings


@dataclass
class Stats:
    """One stats module's settings, unit of work and Redis client."""

    settings: StatsSettings
    uow: Callable[[], UnitOfWork]
    redis: Redis

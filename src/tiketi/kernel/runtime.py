"""The shared resources of one process, built at start-up and handed to every module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.tokens import TokenVerifier


@dataclass
class Runtime:
    """Engines, clients and what modules in this process export to each other."""

    settings: PlatformSettings
    db: Database
    redis: Redis
    verifier: TokenVerifier
    exports: dict[str, Callable[..., Any]] = field(default_factory=dict)
    services: tuple[str, ...] = ()
    uses_database: bool = True

"""The shared resources of one process, built at start-up and handed to every module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis

from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.tokens import TokenVerifier

if TYPE_CHECKING:
    from tiketi.kernel.realtime import Realtime


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
    # The ASGI app this runtime serves (set by create_app's lifespan): modules of one process
    # call each other through it (kernel/inprocess.py) exactly as they would over the network.
    asgi: Any = None
    # Set by create_app's lifespan; read it as `runtime.realtime`.
    realtime_layer: Realtime | None = None

    @property
    def realtime(self) -> Realtime:
        """Socket.IO emits (and the socket server, where a module serves sockets)."""
        if self.realtime_layer is None:
            raise RuntimeError("this Runtime has no realtime layer: create_app builds one")
        return self.realtime_layer

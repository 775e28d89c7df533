"""What a service hands the composition: its router, schema, migrations and background work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

if TYPE_CHECKING:
    from tiketi.kernel.realtime import SocketSetup
    from tiketi.kernel.runtime import Runtime
    from tiketi.kernel.streams import Subscription

Hook = Callable[["Runtime"], Awaitable[None]]
OpenApiHook = Callable[["Runtime", dict[str, Any]], Awaitable[dict[str, Any]]]
Worker = Callable[["Runtime"], Awaitable[None]]


@dataclass(frozen=True)
class ServiceModule:
    """One service, ready to be mounted alone or beside the others."""

    name: str
    router: APIRouter | None = None
    schema: str | None = None
    migrations: Path | None = None
    # The service writes integration events to `<schema>.outbox`; the kernel relays them.
    outbox: bool = False
    # False for services that never touch PostgreSQL (the gateway): /ready then skips it.
    uses_database: bool = True
    startup: Sequence[Hook] = ()
    shutdown: Sequence[Hook] = ()
    workers: Sequence[Worker] = ()
    subscriptions: Sequence[Subscription] = ()
    # In-process capabilities other modules may use through the composition (e.g. "jwks").
    exports: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # Public values the browser needs (a TossPayments client key, a Google client id): the
    # one-process app writes them into the web app's index.html. Never a secret.
    public_config: Mapping[str, str] = field(default_factory=dict)
    # Assembles the published /openapi.json from the app's own (the split gateway merges its
    # services' documents into it); None keeps FastAPI's.
    openapi: OpenApiHook | None = None
    # Registers Socket.IO handlers (`realtime.on("join_event", ...)`); any module declaring it
    # makes the process serve Socket.IO at /socket.io.
    sockets: SocketSetup | None = None

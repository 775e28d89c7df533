"""HTTP between modules of one process: an httpx transport into the process's own ASGI app.

One code path for both modes: a service calls another through an httpx client whose transport
is the network (split mode) or this one (one process). Each call runs in a task of its own, as
a network peer would: a caller that times out does not cancel the callee's work, and the
callee's logging context does not leak into the caller's.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

# Set on the scope of calls made through in_process_transport; a network server never sets it.
IN_PROCESS_SCOPE_KEY = "tiketi.in_process"


def is_in_process(scope: Scope) -> bool:
    """True for a request another module of this process made (not a client at the edge)."""
    return bool(scope.get(IN_PROCESS_SCOPE_KEY))


def in_process_transport(app: ASGIApp) -> httpx.AsyncBaseTransport:
    """A transport that serves requests with `app` in this process (httpx timeouts do not
    apply to it: callers bound their calls with asyncio.timeout)."""
    running: set[asyncio.Task[Any]] = set()

    async def detached(scope: Scope, receive: Receive, send: Send) -> None:
        marked = dict(scope)
        marked[IN_PROCESS_SCOPE_KEY] = True
        task = asyncio.ensure_future(app(marked, receive, send))
        running.add(task)
        task.add_done_callback(running.discard)
        await asyncio.shield(task)

    return httpx.ASGITransport(app=detached, raise_app_exceptions=False)

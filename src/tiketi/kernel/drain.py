"""Readiness during shutdown: on SIGTERM, /ready answers 503 before the server stops listening.

uvicorn stops accepting connections the moment it sees SIGTERM, so a load balancer that polls
/ready never hears "not ready" from us: it only sees refused connections. With
`TIKETI_DRAIN_SECONDS` > 0 the first SIGTERM marks the process draining (/ready: 503) and the
server's own graceful shutdown (stop listening, finish in-flight requests, close sockets) starts
that many seconds later, so health-checking balancers (nginx, an ALB, ECS) move traffic away
first. Kubernetes does the same with a preStop sleep; both may be combined. A second SIGTERM,
or SIGINT, stops at once.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import structlog

log = structlog.get_logger("tiketi.drain")

SignalHandler = Callable[[int, FrameType | None], Any]


@dataclass
class Drain:
    """Whether this process is draining, and the signal handler it replaced (if any)."""

    delay: float
    draining: bool = False
    _previous: Any = field(default=None, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    def install(self) -> None:
        """Take over SIGTERM from the server (uvicorn) when running in the main thread."""
        # Signals are delivered to the main thread only; in-process test apps run elsewhere.
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)
        if not callable(previous):
            return  # no server handler to defer to (SIG_DFL/SIG_IGN): leave the default alone
        self._previous = previous
        self._loop = asyncio.get_running_loop()
        signal.signal(signal.SIGTERM, self._on_sigterm)

    def uninstall(self) -> None:
        """Give SIGTERM back to the handler it had before install()."""
        if self._previous is not None and signal.getsignal(signal.SIGTERM) == self._on_sigterm:
            signal.signal(signal.SIGTERM, self._previous)
        self._previous = None

    def _on_sigterm(self, sig: int, frame: FrameType | None) -> None:
        previous: SignalHandler = self._previous
        if self.draining or self.delay <= 0 or self._loop is None:
            self.draining = True
            previous(sig, frame)
            return
        self.draining = True
        log.info("draining", seconds=self.delay)
        # A signal handler may interrupt the loop anywhere: only the thread-safe call is allowed.
        loop = self._loop
        loop.call_soon_threadsafe(loop.call_later, self.delay, previous, sig, None)

"""`stats:updated` to an event's organizer, at most once per `push_seconds` per event.

A change asks for a push after its transaction commits; the push reads the figures then. A
change during a push, or within the window after one, is pushed at the end of the window, so
the dashboard always ends on the latest figures and never gets more than one push a window.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from tiketi.services.stats.domain.figures import push_delay
from tiketi.services.stats.service.common import Stats
from tiketi.services.stats.service.reads import compute_event

log = structlog.get_logger("tiketi.stats")

STATS_UPDATED = "stats:updated"

# emit(user_id, event_name, payload): runtime.realtime.emit_to_user in production.
Emit = Callable[[str, str, dict[str, Any]], Awaitable[None]]
# read(event_id) -> (the figures, the organizer's id).
Read = Callable[[uuid.UUID], Awaitable[tuple[dict[str, Any], str]]]


class StatsPusher:
    """Throttled pushes of an event's figures to its organizer's Socket.IO room."""

    def __init__(self, read: Read, emit: Emit, *, interval: float) -> None:
        self.read = read
        self.emit = emit
        self.interval = interval
        self._dirty: set[uuid.UUID] = set()
        self._last: dict[uuid.UUID, float] = {}
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}

    def request(self, event_id: uuid.UUID) -> None:
        """Push this event's figures soon (call after the change committed)."""
        self._dirty.add(event_id)
        if event_id not in self._tasks:
            self._tasks[event_id] = asyncio.get_running_loop().create_task(self._run(event_id))

    async def _run(self, event_id: uuid.UUID) -> None:
        try:
            while event_id in self._dirty:
                delay = push_delay(self._last.get(event_id), time.monotonic(), self.interval)
                if delay > 0:
                    await asyncio.sleep(delay)
                self._dirty.discard(event_id)
                self._last[event_id] = time.monotonic()
                await self._push(event_id)
        finally:
            # No await between the loop's last check and this: a request either saw the task
            # (and its dirty mark is read by the loop) or starts a new one.
            self._tasks.pop(event_id, None)

    async def _push(self, event_id: uuid.UUID) -> None:
        try:
            body, organizer_id = await self.read(event_id)
            await self.emit(organizer_id, STATS_UPDATED, body)
        except Exception as exc:  # live figures are best effort; the dashboard can refetch
            log.warning("stats_push_failed", event_id=str(event_id), error=str(exc))

    async def idle(self) -> None:
        """Wait until every requested push went out (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        """Drop pending pushes."""
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)


def organizer_pusher(stats: Stats, emit: Emit) -> StatsPusher:
    """The pusher of the live figures to each event's organizer."""

    async def read(event_id: uuid.UUID) -> tuple[dict[str, Any], str]:
        return await compute_event(stats=stats, event_id=event_id)

    return StatsPusher(read, emit, interval=stats.settings.push_seconds)

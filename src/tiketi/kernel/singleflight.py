"""Single-flight: concurrent callers with one key share one call (cold caches under a crowd)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class SingleFlight:
    """A thousand readers of one cold key cost one load, not a thousand."""

    def __init__(self) -> None:
        self._calls: dict[str, asyncio.Task[Any]] = {}

    async def run(self, key: str, call: Callable[[], Awaitable[T]]) -> T:
        """The result of `call`, or of the identical call already in flight."""
        task = self._calls.get(key)
        if task is None:
            task = asyncio.ensure_future(call())
            self._calls[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        # Shielded: a caller that goes away must not cancel the load the others wait for.
        result: T = await asyncio.shield(task)
        return result

    def _forget(self, key: str, task: asyncio.Task[Any]) -> None:
        if self._calls.get(key) is task:
            del self._calls[key]
        if not task.cancelled():
            task.exception()  # retrieved, so an unawaited failure is not logged as lost

"""The notifier backed by the kernel's realtime layer (Socket.IO through Redis)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tiketi.kernel.realtime import queue_room, user_room
from tiketi.kernel.runtime import Runtime

ADMITTED = "queue:admitted"
PROGRESS = "queue:progress"


class RealtimeNotifier:
    """`queue:admitted` to the fan's connections, `queue:progress` to the event's room."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def admitted(self, fans: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Every connection of each fan, on any socket server: a step's messages in one round
        trip to Redis (kernel.realtime.emit_many)."""
        await self.runtime.realtime.emit_many(
            ADMITTED, [(user_room(user), payload) for user, payload in fans]
        )

    async def progress(self, event_id: str, payload: dict[str, Any]) -> None:
        """One message to the whole room, whatever its size."""
        await self.runtime.realtime.emit(PROGRESS, payload, room=queue_room(event_id))

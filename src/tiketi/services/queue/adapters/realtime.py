"""The notifier backed by the kernel's realtime layer (Socket.IO through Redis)."""

from __future__ import annotations

from typing import Any

from tiketi.kernel.realtime import queue_room
from tiketi.kernel.runtime import Runtime

ADMITTED = "queue:admitted"
PROGRESS = "queue:progress"


class RealtimeNotifier:
    """`queue:admitted` to the fan's connections, `queue:progress` to the event's room."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def admitted(self, user_id: str, payload: dict[str, Any]) -> None:
        """Every connection of the fan, on any socket server."""
        await self.runtime.realtime.emit_to_user(user_id, ADMITTED, payload)

    async def progress(self, event_id: str, payload: dict[str, Any]) -> None:
        """One message to the whole room, whatever its size."""
        await self.runtime.realtime.emit(PROGRESS, payload, room=queue_room(event_id))

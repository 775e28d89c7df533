"""The seat-change sink backed by the kernel's realtime layer (Socket.IO through Redis)."""

from __future__ import annotations

from tiketi.kernel.realtime import Realtime


class RealtimeSeatSink:
    """Sends committed seat changes as batched `seats:changed` once the realtime layer exists."""

    def __init__(self) -> None:
        # Set by the socket setup when the app starts; until then nobody can be listening.
        self.realtime: Realtime | None = None

    async def seats_changed(
        self, event_id: str, version: int, changes: list[dict[str, object]]
    ) -> None:
        """Batch `changes` for the event's room (at most ~5 messages a second per room)."""
        if self.realtime is not None:
            await self.realtime.publish_seat_changes(event_id, version, changes)

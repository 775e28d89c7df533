"""What booking needs from the outside world, as protocols the composition fills in."""

from __future__ import annotations

from typing import Protocol


class SeatChangeSink(Protocol):
    """Where committed seat changes go for live seat maps (the realtime layer)."""

    async def seats_changed(
        self, event_id: str, version: int, changes: list[dict[str, object]]
    ) -> None:
        """Announce `changes` ([{id, status}]) that made the event's map `version`."""


class NoSeatChanges:
    """The default sink: nobody is listening."""

    async def seats_changed(
        self, event_id: str, version: int, changes: list[dict[str, object]]
    ) -> None:
        """Drop the changes."""

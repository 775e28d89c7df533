"""What the waiting room needs from the outside world, as protocols the composition fills."""

from __future__ import annotations

from typing import Any, Protocol


class QueueNotifier(Protocol):
    """Where admissions and progress go (Socket.IO through Redis in production)."""

    async def admitted(self, user_id: str, payload: dict[str, Any]) -> None:
        """Tell one fan (every connection of theirs) that they are admitted."""

    async def progress(self, event_id: str, payload: dict[str, Any]) -> None:
        """Tell the event's whole room the serving number and the pace (one message)."""


class NoNotifier:
    """Nobody is listening."""

    async def admitted(self, user_id: str, payload: dict[str, Any]) -> None:
        """Drop it."""

    async def progress(self, event_id: str, payload: dict[str, Any]) -> None:
        """Drop it."""

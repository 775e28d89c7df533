"""What the waiting room needs from the outside world, as protocols the composition fills."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class QueueNotifier(Protocol):
    """Where admissions and progress go (Socket.IO through Redis in production)."""

    async def admitted(self, fans: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Tell each fan (user id, payload; every connection of theirs) they are admitted."""

    async def progress(self, event_id: str, payload: dict[str, Any]) -> None:
        """Tell the event's whole room the serving number and the pace (one message)."""


class NoNotifier:
    """Nobody is listening."""

    async def admitted(self, fans: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Drop them."""

    async def progress(self, event_id: str, payload: dict[str, Any]) -> None:
        """Drop it."""

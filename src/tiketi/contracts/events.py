"""The envelope every integration event shares, and the registry that decodes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class IntegrationEvent(BaseModel):
    """Something that happened in one service that others may react to (past tense)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # Bumped when a field changes meaning; consumers may refuse versions they do not know.
    event_type: ClassVar[str] = "IntegrationEvent"
    version: ClassVar[int] = 1

    # The message's own id (consumers dedupe on it); not named event_id, which in Tiketi
    # payloads means the concert or match the message is about.
    message_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


_REGISTRY: dict[str, type[IntegrationEvent]] = {}
E = TypeVar("E", bound=type[IntegrationEvent])


def register(cls: E) -> E:
    """Make an event type decodable from a stream by its name."""
    _REGISTRY[cls.event_type] = cls
    return cls


def event_class(event_type: str) -> type[IntegrationEvent]:
    """The class registered for a stream's event type."""
    return _REGISTRY[event_type]


def decode(event_type: str, payload: dict[str, Any]) -> IntegrationEvent:
    """Rebuild an event from its JSON payload."""
    return event_class(event_type).model_validate(payload)

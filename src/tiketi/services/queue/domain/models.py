"""The waiting room's vocabulary: the events it serves, a fan's place, the queue's phases."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tiketi.services.queue.domain.errors import QueueClosed, QueueDisabled


class EventStatus(StrEnum):
    """Whether the event still sells."""

    ON_SALE = "on_sale"
    CANCELED = "canceled"


class PlaceStatus(StrEnum):
    """A fan in the room: still waiting, or admitted to shop."""

    WAITING = "waiting"
    ADMITTED = "admitted"


class Phase(StrEnum):
    """Before the sale opens fans wait unordered in the pre-queue; then in ticket order."""

    PRE_QUEUE = "pre_queue"
    OPEN = "open"


@dataclass(frozen=True)
class QueueEvent:
    """What the waiting room knows of a published event (from catalog's events)."""

    id: str
    organizer_id: str
    sale_opens_at: datetime
    sale_closes_at: datetime
    status: str
    enabled: bool
    max_active: int
    admit_per_second: float
    # Incremented each time the event's Redis state is (re)created: a Redis that lost it is
    # told apart from a queue nobody joined yet.
    epoch: int
    commitment: str
    drawn: bool

    def check_joinable(self) -> None:
        """Raise unless the room can take fans at all (the clock is the Redis script's job)."""
        if self.status == EventStatus.CANCELED:
            raise QueueClosed("This event was canceled.", details={"reason": "event_canceled"})
        if not self.enabled:
            raise QueueDisabled()

    def closed(self, now: datetime) -> bool:
        """True once the sale is over or the event canceled: the room's state can go."""
        return self.status == EventStatus.CANCELED or now >= self.sale_closes_at

    def pre_queue_opens_at(self, window: timedelta) -> datetime:
        """When joins start landing in the pre-queue."""
        return self.sale_opens_at - window


@dataclass(frozen=True)
class Place:
    """A fan's place: what join and status answer (API.md's shape plus phase and opens_at)."""

    status: PlaceStatus
    phase: Phase
    ticket_number: int | None
    position: int | None
    eta_seconds: int | None
    serving_number: int
    opens_at: datetime
    admission_token: str | None = None
    admission_expires_at: datetime | None = None


@dataclass(frozen=True)
class FairnessView:
    """The public record of an event's pre-queue draw."""

    event_id: str
    commitment: str
    seed: str | None
    algorithm: str
    joiners: list[str]
    order: list[str]
    sale_opens_at: datetime
    drawn_at: datetime | None


def eta_seconds(position: int, seconds_per_person: float) -> int:
    """Seconds until a fan with `position` people ahead is admitted at the measured pace."""
    return max(0, math.ceil((position + 1) * max(0.0, seconds_per_person)))


def from_ms(milliseconds: float) -> datetime:
    """An aware datetime from Redis's clock in milliseconds."""
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, as the Redis scripts compare times."""
    return int(moment.timestamp() * 1000)

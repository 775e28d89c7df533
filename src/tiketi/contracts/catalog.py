"""Events the catalog publishes: what booking, payment, queue, stats and notify build on.

Ids are strings (UUIDs) except seat ids, which are integers (a venue's seats are numbered by
one bigint sequence; compact in seat maps of 100,000 seats). Times are aware datetimes,
serialised ISO 8601 with offset. Money is an integer in KRW.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from tiketi.contracts.events import IntegrationEvent, register


class QueuePolicyInfo(BaseModel):
    """The waiting room's policy for an event."""

    model_config = ConfigDict(frozen=True)

    enabled: bool
    max_active: int
    admit_per_second: float


class GradeInfo(BaseModel):
    """A price class and how many seats it has."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    price: int
    seat_count: int


class SeatInfo(BaseModel):
    """One seat of the event's inventory.

    `number` is the seat's label in its row ("12", "A3"); the indexes are 0-based positions
    (section in the venue, row in the section, seat in the row), so neighbours are seats of one
    row whose `seat_index` differ by one.
    """

    model_config = ConfigDict(frozen=True)

    seat_id: int
    section: str
    row: str
    number: str
    section_index: int
    row_index: int
    seat_index: int
    grade: str
    price: int


@register
class EventPublished(IntegrationEvent):
    """An event went on the market: everything booking needs to create its seat inventory."""

    event_type: ClassVar[str] = "EventPublished"
    version: ClassVar[int] = 1

    event_id: str
    organizer_id: str
    title: str
    venue_id: str
    venue_name: str
    starts_at: datetime
    ends_at: datetime
    sale_opens_at: datetime
    sale_closes_at: datetime
    currency: Literal["KRW"] = "KRW"
    max_tickets_per_user: int
    queue: QueuePolicyInfo
    grades: list[GradeInfo]
    seat_count: int
    seats: list[SeatInfo]


@register
class EventUpdated(IntegrationEvent):
    """A published event changed something that is not inventory (never seats, grades or
    prices, which are frozen): the full current values, and which of them changed."""

    event_type: ClassVar[str] = "EventUpdated"
    version: ClassVar[int] = 1

    event_id: str
    organizer_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    sale_opens_at: datetime
    sale_closes_at: datetime
    max_tickets_per_user: int
    queue: QueuePolicyInfo
    image_url: str | None = None
    changed: list[str]


@register
class EventCanceled(IntegrationEvent):
    """A published event was canceled: its sale stops and every paid reservation is refunded."""

    event_type: ClassVar[str] = "EventCanceled"
    version: ClassVar[int] = 1

    event_id: str
    organizer_id: str
    title: str
    reason: str | None = None
    canceled_at: datetime

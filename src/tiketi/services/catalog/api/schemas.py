"""Request and response bodies of /api/v1/venues and /api/v1/events (API.md's table).

Requests are typed here; the rules (lengths, uniqueness, time order, mapping) are the
domain's, so every violation comes back at once with its path. Times must carry an offset.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tiketi.services.catalog.domain.errors import InvalidInput
from tiketi.services.catalog.domain.events import (
    DEFAULT_TICKETS_PER_USER,
    EventStatus,
    Grade,
    QueuePolicy,
)
from tiketi.services.catalog.domain.layout import MAX_SEATS, RowDraft, SectionDraft
from tiketi.services.catalog.domain.sales import SaleState

# Generous bounds that only stop absurd bodies; the domain states the real limits.
Text = Annotated[str, Field(max_length=20_000)]
Label = Annotated[str, Field(max_length=200)]

# --------------------------------------------------------------------------- venues


class RowCreate(BaseModel):
    """A row: a label and either a seat count (labels "1".."n") or the seat labels."""

    label: Label
    seats: int | Annotated[list[Label], Field(max_length=MAX_SEATS)] = Field(
        description='A seat count (labelled "1".."n") or the list of seat labels.'
    )

    def draft(self) -> RowDraft:
        """The domain's view."""
        return RowDraft(label=self.label, seats=self.seats)


class SectionCreate(BaseModel):
    """A section of rows."""

    name: Label
    rows: list[RowCreate]

    def draft(self) -> SectionDraft:
        """The domain's view."""
        return SectionDraft(name=self.name, rows=[row.draft() for row in self.rows])


class VenueCreate(BaseModel):
    """A venue and its seat layout (1–100,000 seats)."""

    name: Label
    address: Text
    sections: list[SectionCreate]


class SeatRead(BaseModel):
    """A seat: its id (what holds and tickets refer to) and label."""

    id: int
    label: str


class RowRead(BaseModel):
    """A row and its seats in order."""

    label: str
    seats: list[SeatRead]


class SectionRead(BaseModel):
    """A section and its rows in order."""

    name: str
    seat_count: int
    rows: list[RowRead]


class VenueSummary(BaseModel):
    """A venue without its layout."""

    id: uuid.UUID
    name: str
    address: str
    seat_count: int
    created_at: datetime


class VenueRead(VenueSummary):
    """A venue with its layout and seat ids."""

    sections: list[SectionRead]


class VenuePage(BaseModel):
    """A page of venues, newest first."""

    items: list[VenueSummary]
    next_cursor: str | None


# --------------------------------------------------------------------------- events


class GradeBody(BaseModel):
    """A price class: code, name, price in KRW (an integer, no minor unit)."""

    code: Label
    name: Label
    price: int

    def domain(self) -> Grade:
        """The domain's view."""
        return Grade(code=self.code, name=self.name, price=self.price)


class QueueBody(BaseModel):
    """The waiting room policy (defaults: on, 1000 shopping at once, 50 admitted a second)."""

    enabled: bool = QueuePolicy.enabled
    max_active: int = QueuePolicy.max_active
    admit_per_second: float = QueuePolicy.admit_per_second

    def domain(self) -> QueuePolicy:
        """The domain's view."""
        return QueuePolicy(**self.model_dump())


class QueuePatch(BaseModel):
    """Some fields of the waiting room policy."""

    enabled: bool | None = None
    max_active: int | None = None
    admit_per_second: float | None = None


class EventCreate(BaseModel):
    """A new event (a draft until published)."""

    title: Label
    description: Text = ""
    venue_id: uuid.UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    sale_opens_at: AwareDatetime
    sale_closes_at: AwareDatetime
    grades: Annotated[list[GradeBody], Field(max_length=100)]
    seat_grades: dict[Label, Label] = Field(description="Section name → grade code.")
    max_tickets_per_user: int = DEFAULT_TICKETS_PER_USER
    queue: QueueBody = QueueBody()


_NULLABLE = {"description"}


class EventUpdate(BaseModel):
    """Any of an event's settings; fields left out keep their value."""

    title: Label | None = None
    description: Text | None = None
    venue_id: uuid.UUID | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    sale_opens_at: AwareDatetime | None = None
    sale_closes_at: AwareDatetime | None = None
    grades: Annotated[list[GradeBody], Field(max_length=100)] | None = None
    seat_grades: dict[Label, Label] | None = None
    max_tickets_per_user: int | None = None
    queue: QueuePatch | None = None

    def changes(self) -> dict[str, Any]:
        """The fields sent, as domain values (queue as the partial policy it is).

        An explicit null is refused (422) except for description, where it means empty.
        """
        nulls = {
            name: "may not be null"
            for name in self.model_fields_set
            if getattr(self, name) is None and name not in _NULLABLE
        }
        if nulls:
            raise InvalidInput(nulls)
        changes: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name == "grades":
                value = tuple(grade.domain() for grade in self.grades or ())
            elif name == "queue":
                value = self.queue.model_dump(exclude_none=True) if self.queue else {}
            elif name == "description" and value is None:
                value = ""
            changes[name] = value
        return changes


class EventCancel(BaseModel):
    """Why the event is canceled (shown to ticket holders)."""

    reason: Annotated[str, Field(max_length=1000)] | None = None


class VenueRef(BaseModel):
    """The venue of an event."""

    id: uuid.UUID
    name: str
    address: str
    seat_count: int


class GradeRead(BaseModel):
    """A grade with its seats and how many are still available."""

    code: str
    name: str
    price: int
    seat_count: int
    available: int


class QueueRead(BaseModel):
    """The waiting room policy."""

    enabled: bool
    max_active: int
    admit_per_second: float


class EventSummary(BaseModel):
    """An event in a list."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    title: str
    venue: VenueRef
    starts_at: datetime
    ends_at: datetime
    sale_opens_at: datetime
    sale_closes_at: datetime
    status: EventStatus
    sale_state: SaleState
    currency: Literal["KRW"]
    grades: list[GradeRead]
    available: int = Field(description="Seats available across all grades.")
    max_tickets_per_user: int
    queue: QueueRead
    image_url: str | None
    organizer_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    canceled_at: datetime | None


class EventRead(EventSummary):
    """An event with everything its page shows; sale_state and availability are live."""

    description: str
    seat_grades: dict[str, str]


class EventPage(BaseModel):
    """A page of events by start time."""

    items: list[EventSummary]
    next_cursor: str | None


class ImageRead(BaseModel):
    """Where the uploaded poster is served."""

    url: str


class ErrorDetail(BaseModel):
    """The inside of every error body."""

    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorRead(BaseModel):
    """`{"error": {"code", "message", "details"}}`, as every failure answers."""

    error: ErrorDetail

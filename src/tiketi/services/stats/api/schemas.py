"""Response bodies of the stats endpoints (documentation of the shapes the service builds)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """The error's code, message and details."""

    code: str
    message: str
    details: dict[str, object]


class ErrorRead(BaseModel):
    """Every failure's body."""

    error: ErrorBody


class SeatsRead(BaseModel):
    """Seats by state. `held` = seats of reservations awaiting payment (a plain hold is not
    announced by booking, so its seats count as available); `available` = total − sold − held."""

    total: int
    available: int
    held: int
    sold: int


class GradeRead(SeatsRead):
    """One price class's seats and occupancy."""

    grade: str
    name: str
    price: int
    occupancy: float


class QueueRead(BaseModel):
    """The waiting room's figures (zeros when it keeps none for this event)."""

    waiting: int
    admitted_total: int
    admit_per_second: float


class MinuteRead(BaseModel):
    """One minute's tickets and revenue, net of cancellations and refunds in that minute."""

    minute: str
    tickets: int
    revenue: int


class EventStatsRead(BaseModel):
    """An event's figures; revenue is in KRW, net of refunds; occupancy is sold/total."""

    event_id: str
    status: Literal["on_sale", "canceled"]
    seats: SeatsRead
    revenue: int
    occupancy: float
    by_grade: list[GradeRead]
    queue: QueueRead
    sales: list[MinuteRead]


class EventLineRead(BaseModel):
    """One event in the overview."""

    event_id: str
    title: str
    status: Literal["on_sale", "canceled"]
    seats: SeatsRead
    revenue: int
    occupancy: float


class OverviewRead(BaseModel):
    """Totals across every event, and one line per event."""

    events: int
    on_sale: int
    seats: SeatsRead
    revenue: int
    occupancy: float
    by_event: list[EventLineRead]

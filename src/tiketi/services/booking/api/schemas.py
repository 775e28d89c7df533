"""Request and response bodies of the seat-map, hold and reservation endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tiketi.services.booking.domain.models import HoldView, ReservationView, SeatView


class ErrorBody(BaseModel):
    """The error's code, message and details."""

    code: str
    message: str
    details: dict[str, object]


class ErrorRead(BaseModel):
    """Every failure's body."""

    error: ErrorBody


class SeatMapSeat(BaseModel):
    """One seat of the map."""

    id: int
    section: str
    row: str
    number: str
    grade: str
    price: int
    status: Literal["available", "held", "sold"]


class SeatMapRead(BaseModel):
    """The event's seats at one version (later changes arrive over Socket.IO)."""

    event_id: str
    version: int
    seats: list[SeatMapSeat]


class SeatRead(BaseModel):
    """A seat of a hold or reservation."""

    id: int
    section: str
    row: str
    number: str
    grade: str
    price: int

    @classmethod
    def of(cls, seat: SeatView) -> SeatRead:
        """From the domain's view."""
        return cls(**seat.__dict__)


class HoldCreate(BaseModel):
    """Either explicit `seat_ids`, or `grade` and `quantity` for the best available seats."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(max_length=64)
    seat_ids: list[int] | None = Field(default=None, max_length=100)
    grade: str | None = Field(default=None, min_length=1, max_length=20)
    quantity: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if self.seat_ids is not None:
            if self.grade is not None or self.quantity is not None:
                raise ValueError("send seat_ids, or grade and quantity, not both")
            if not self.seat_ids:
                raise ValueError("seat_ids must name at least one seat")
            if len(set(self.seat_ids)) != len(self.seat_ids):
                raise ValueError("seat_ids must not repeat a seat")
        elif self.grade is None or self.quantity is None:
            raise ValueError("send seat_ids, or grade and quantity")
        return self


class HoldRead(BaseModel):
    """A hold: the seats are the caller's until `expires_at`."""

    id: str
    event_id: str
    seats: list[SeatRead]
    amount: int
    expires_at: datetime

    @classmethod
    def of(cls, hold: HoldView) -> HoldRead:
        """From the domain's view."""
        return cls(
            id=hold.id,
            event_id=hold.event_id,
            seats=[SeatRead.of(s) for s in hold.seats],
            amount=hold.amount,
            expires_at=hold.expires_at,
        )


class ReservationCreate(BaseModel):
    """The hold to turn into a reservation."""

    model_config = ConfigDict(extra="forbid")

    hold_id: str = Field(max_length=64)


class ReservationRead(BaseModel):
    """A reservation; `id` is the payment's orderId."""

    id: str
    event_id: str
    hold_id: str
    status: Literal["pending_payment", "confirmed", "canceled", "expired", "refunded"]
    seats: list[SeatRead]
    amount: int
    currency: Literal["KRW"] = "KRW"
    expires_at: datetime
    created_at: datetime
    confirmed_at: datetime | None = None
    canceled_at: datetime | None = None

    @classmethod
    def of(cls, view: ReservationView) -> ReservationRead:
        """From the domain's view."""
        return cls(
            id=view.id,
            event_id=view.event_id,
            hold_id=view.hold_id,
            status=view.status.value,
            seats=[SeatRead.of(s) for s in view.seats],
            amount=view.amount,
            expires_at=view.expires_at,
            created_at=view.created_at,
            confirmed_at=view.confirmed_at,
            canceled_at=view.canceled_at,
        )


class ReservationPage(BaseModel):
    """One page of the caller's reservations."""

    items: list[ReservationRead]
    next_cursor: str | None


class ReservationConfirm(BaseModel):
    """What the payment service approved."""

    model_config = ConfigDict(extra="forbid")

    payment_key: str = Field(min_length=1, max_length=200)
    amount: int = Field(ge=0)


class ConfirmRead(BaseModel):
    """The confirmation's outcome: anything but confirmed/already_confirmed means refund."""

    outcome: Literal[
        "confirmed", "already_confirmed", "seats_taken", "amount_mismatch", "not_confirmable"
    ]
    confirmed: bool
    reservation: ReservationRead

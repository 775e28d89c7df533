"""Events the booking service publishes: seats held and released, reservations created,
paid, canceled, tickets issued.

Ids are strings: users and events are UUIDs, seat ids are the venue's integer seat ids, and a
reservation's id is its payment orderId. Money is an integer in KRW.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from tiketi.contracts.events import IntegrationEvent, register


class ReservationFact(IntegrationEvent):
    """What every reservation event says: whose, which event, which seats, how much."""

    reservation_id: str
    event_id: str
    user_id: str
    seat_ids: list[int]
    amount: int
    currency: Literal["KRW"] = "KRW"


@register
class ReservationCreated(ReservationFact):
    """A hold became a reservation waiting for payment until `expires_at`."""

    event_type: ClassVar[str] = "ReservationCreated"
    version: ClassVar[int] = 1

    expires_at: datetime


@register
class ReservationConfirmed(ReservationFact):
    """A reservation was paid: its seats are sold."""

    event_type: ClassVar[str] = "ReservationConfirmed"
    version: ClassVar[int] = 1

    payment_key: str


class IssuedTicket(BaseModel):
    """One ticket of a confirmed reservation: its seat and the token its QR code carries."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    seat_id: int
    section: str
    row: str
    number: str
    grade: str
    # The signed token the door scans; whoever has it gets in, so only the holder's own
    # channels (their email) should carry it.
    qr_token: str


@register
class TicketsIssued(IntegrationEvent):
    """A reservation's confirmation issued its tickets (in the same transaction as
    ReservationConfirmed; only a first confirmation issues any)."""

    event_type: ClassVar[str] = "TicketsIssued"
    version: ClassVar[int] = 1

    reservation_id: str
    event_id: str
    user_id: str
    tickets: list[IssuedTicket]


@register
class ReservationCanceled(ReservationFact):
    """A reservation was canceled; when `refund` is true the payment service refunds it."""

    event_type: ClassVar[str] = "ReservationCanceled"
    version: ClassVar[int] = 1

    refund: bool
    # "customer" (the fan canceled), "event_canceled" (the organizer canceled the event).
    reason: str


@register
class SeatsHeld(IntegrationEvent):
    """A fan holds seats until `expires_at` (a plain hold, before any reservation)."""

    event_type: ClassVar[str] = "SeatsHeld"
    version: ClassVar[int] = 1

    event_id: str
    seat_ids: list[int]
    user_id: str
    hold_id: str
    expires_at: datetime


@register
class SeatsReleased(IntegrationEvent):
    """Seats went back on sale: a hold was released or expired, or a reservation canceled."""

    event_type: ClassVar[str] = "SeatsReleased"
    version: ClassVar[int] = 1

    event_id: str
    seat_ids: list[int]
    # "released" (the fan let go), "expired" (the hold ran out), "reservation_canceled",
    # "event_canceled".
    reason: str
    user_id: str | None = None
    hold_id: str | None = None
    reservation_id: str | None = None

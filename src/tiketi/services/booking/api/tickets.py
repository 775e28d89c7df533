"""Ticket endpoints: a reservation's tickets, a ticket's QR code, and check-in at the door.

Codes: a reservation that is not confirmed (pending, expired, canceled, refunded) answers
409 NOT_CONFIRMED with details {status}; a QR token that is forged, malformed or unknown is
404 TICKET_NOT_FOUND (one answer for all three, so a scanner learns nothing from probing);
a second scan is 409 ALREADY_CHECKED_IN with details {checked_in_at}; a canceled
reservation's ticket is 409 TICKET_VOID. Others' reservations and tickets are 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from tiketi.kernel.deps import PrincipalDep, RuntimeDep, require_role
from tiketi.kernel.tokens import Principal
from tiketi.services.booking.api.deps import BookingDeps
from tiketi.services.booking.api.schemas import ErrorRead
from tiketi.services.booking.domain.tickets import TicketView
from tiketi.services.booking.service import tickets

StaffDep = Annotated[Principal, Depends(require_role("staff"))]


class TicketSeatRead(BaseModel):
    """The seat a ticket admits to."""

    id: int
    section: str
    row: str
    number: str
    grade: str


class TicketRead(BaseModel):
    """A ticket as its holder sees it; `qr_token` is what the QR code encodes."""

    id: str
    seat: TicketSeatRead
    qr_token: str

    @classmethod
    def of(cls, ticket: TicketView) -> TicketRead:
        """From the domain's view."""
        return cls(
            id=ticket.id, seat=TicketSeatRead(**ticket.seat.__dict__), qr_token=ticket.qr_token
        )


class CheckInCreate(BaseModel):
    """The scanned QR code's text."""

    model_config = ConfigDict(extra="forbid")

    qr_token: str = Field(min_length=1, max_length=128)


class CheckInRead(BaseModel):
    """The admitted ticket."""

    id: str
    event_id: str
    reservation_id: str
    seat: TicketSeatRead
    checked_in_at: datetime

    @classmethod
    def of(cls, ticket: TicketView) -> CheckInRead:
        """From the domain's view (checked in)."""
        assert ticket.checked_in_at is not None
        return cls(
            id=ticket.id,
            event_id=ticket.event_id,
            reservation_id=ticket.reservation_id,
            seat=TicketSeatRead(**ticket.seat.__dict__),
            checked_in_at=ticket.checked_in_at,
        )


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorRead} for status in statuses}


def add_ticket_routes(router: APIRouter, deps: BookingDeps) -> None:
    """Add the ticket routes of one booking module to its /api/v1 router."""

    async def list_tickets(
        id: str, principal: PrincipalDep, runtime: RuntimeDep
    ) -> list[TicketRead]:
        """A confirmed reservation's tickets, one per seat (its owner or an admin)."""
        views = await tickets.list_tickets(
            booking=deps.booking(runtime),
            user_id=principal.id,
            is_admin=principal.role == "admin",
            reservation_id=id,
        )
        return [TicketRead.of(view) for view in views]

    async def ticket_qr(id: str, principal: PrincipalDep, runtime: RuntimeDep) -> Response:
        """The ticket's QR code as a PNG (its owner or an admin)."""
        png = await tickets.ticket_png(
            booking=deps.booking(runtime),
            user_id=principal.id,
            is_admin=principal.role == "admin",
            ticket_id=id,
        )
        # The code admits its bearer: no shared cache may keep it.
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def check_in(body: CheckInCreate, staff: StaffDep, runtime: RuntimeDep) -> CheckInRead:
        """Admit a ticket once (staff or admin); later scans are 409 ALREADY_CHECKED_IN."""
        view = await tickets.check_in(
            booking=deps.booking(runtime), staff_id=staff.id, qr_token=body.qr_token
        )
        return CheckInRead.of(view)

    router.add_api_route(
        "/reservations/{id}/tickets", list_tickets, methods=["GET"], tags=["tickets"],
        response_model=list[TicketRead], responses=_errors(401, 404, 409),
        summary="A reservation's tickets",
    )  # fmt: skip
    router.add_api_route(
        "/tickets/{id}/qr.png", ticket_qr, methods=["GET"], tags=["tickets"],
        responses={**_errors(401, 404, 409), 200: {"content": {"image/png": {}}}},
        response_class=Response, summary="A ticket's QR code",
    )  # fmt: skip
    router.add_api_route(
        "/checkin", check_in, methods=["POST"], tags=["tickets"], response_model=CheckInRead,
        responses=_errors(401, 403, 404, 409, 422), summary="Check a ticket in",
    )  # fmt: skip

"""The tickets table: one row per sold seat, issued with its reservation's confirmation."""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from typing import Any, NamedTuple

import segno
from sqlalchemy import BigInteger, DateTime, String, func, insert, text, update
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tiketi.services.booking.adapters.orm import SCHEMA, Base
from tiketi.services.booking.domain import qr
from tiketi.services.booking.domain.tickets import TicketSeat, TicketView


class Ticket(Base):
    """A sold seat's admission; `voided_at` once its reservation is canceled."""

    __tablename__ = "tickets"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    seat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    qr_token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


_SELECT = f"""SELECT t.id, t.reservation_id, t.event_id, t.user_id, t.qr_token, t.issued_at,
        t.checked_in_at, t.voided_at, s.seat_id, s.section, s.row, s.number, s.grade
    FROM {SCHEMA}.tickets t
    JOIN {SCHEMA}.seats s ON s.event_id = t.event_id AND s.seat_id = t.seat_id"""  # noqa: S608


class Issued(NamedTuple):
    """A ticket just issued: its id, its seat and the token its QR code carries."""

    id: uuid.UUID
    seat_id: int
    qr_token: str


def _view(row: Any) -> TicketView:
    (ticket_id, reservation_id, event_id, user_id, token, issued_at, checked_in_at, voided_at,
     seat_id, section, row_label, number, grade) = row  # fmt: skip
    return TicketView(
        id=str(ticket_id),
        reservation_id=reservation_id,
        event_id=str(event_id),
        user_id=str(user_id),
        seat=TicketSeat(int(seat_id), section, row_label, number, grade),
        qr_token=token,
        issued_at=issued_at,
        checked_in_at=checked_in_at,
        voided_at=voided_at,
    )


def render_png(token: str) -> bytes:
    """The token as a QR code PNG (8 px modules, a 2-module quiet zone)."""
    buffer = io.BytesIO()
    segno.make(token, error="m", micro=False).save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


class Tickets:
    """Issue, read, void and check in tickets, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def issue(
        self,
        *,
        reservation_id: str,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        seat_ids: list[int],
        key: bytes,
    ) -> list[Issued]:
        """One ticket per seat, by seat; the partial unique index refuses a second valid one.
        What was issued is returned, so the caller need not read the rows back."""
        issued = []
        for seat_id in sorted(seat_ids):
            ticket_id = uuid.uuid4()
            issued.append(Issued(ticket_id, seat_id, qr.sign(ticket_id, key)))
        if issued:
            rows = [
                {
                    "id": ticket.id,
                    "reservation_id": reservation_id,
                    "event_id": event_id,
                    "seat_id": ticket.seat_id,
                    "user_id": user_id,
                    "qr_token": ticket.qr_token,
                }
                for ticket in issued
            ]
            await self.session.execute(insert(Ticket), rows)
        return issued

    async def void(self, *, reservation_id: str, now: datetime) -> int:
        """Void the reservation's valid tickets; how many."""
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.reservation_id == reservation_id, Ticket.voided_at.is_(None))
            .values(voided_at=now)
            .returning(Ticket.id)
        )
        return len(result.all())

    async def of_reservation(self, reservation_id: str) -> list[TicketView]:
        """The reservation's valid tickets, by seat."""
        rows = await self.session.execute(
            text(
                f"{_SELECT} WHERE t.reservation_id = :rid AND t.voided_at IS NULL "
                "ORDER BY t.seat_id"
            ),
            {"rid": reservation_id},
        )
        return [_view(row) for row in rows.all()]

    async def get(self, ticket_id: uuid.UUID) -> TicketView | None:
        """One ticket, valid or void."""
        rows = await self.session.execute(text(f"{_SELECT} WHERE t.id = :id"), {"id": ticket_id})
        row = rows.first()
        return None if row is None else _view(row)

    async def check_in(self, *, ticket_id: uuid.UUID, staff_id: uuid.UUID) -> bool:
        """Mark the ticket used, once; True for the one scan that did it."""
        # One conditional UPDATE: concurrent scans queue on the row lock, and after the
        # winner commits each loser re-checks the WHERE and matches nothing.
        result = await self.session.execute(
            text(
                f"UPDATE {SCHEMA}.tickets SET checked_in_at = now(), checked_in_by = :staff "  # noqa: S608
                "WHERE id = :id AND checked_in_at IS NULL AND voided_at IS NULL RETURNING id"
            ),
            {"id": ticket_id, "staff": staff_id},
        )
        return result.first() is not None

"""Stats' tables (schema `stats`): the facts the figures are computed from.

Every row is written by an upsert that only ever sets a fact (a time first seen, a seat set
grown by union), never adds to a counter: events may arrive in any order and more than once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tiketi.kernel.db import schema_metadata

SCHEMA = "stats"


class Base(DeclarativeBase):
    """Stats' tables, in its own schema."""

    metadata = schema_metadata(SCHEMA)


class StatsEvent(Base):
    """A published event: whose it is and how many seats it has."""

    __tablename__ = "events"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    organizer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    title: Mapped[str] = mapped_column(String(200))
    seat_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # "on_sale" once published, "canceled" once canceled (whichever message came first).
    status: Mapped[str] = mapped_column(String(20), server_default="on_sale")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    canceled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatsGrade(Base):
    """A price class of an event."""

    __tablename__ = "grades"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[int] = mapped_column(BigInteger)
    seat_count: Mapped[int] = mapped_column(Integer)


class StatsSeat(Base):
    """Which grade a seat is in (for occupancy by grade)."""

    __tablename__ = "seats"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    seat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    grade: Mapped[str] = mapped_column(String(20))


class StatsReservation(Base):
    """A reservation's facts: created, confirmed, canceled, which of its seats were released.

    Status is derived when read: canceled beats confirmed beats awaiting payment, and a
    confirmed reservation holds all its seats even if some were released by an expiry first
    (a late payment confirms an expired reservation whose seats are still free)."""

    __tablename__ = "reservations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    seat_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    canceled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_seat_ids: Mapped[list[int]] = mapped_column(
        ARRAY(BigInteger), server_default=text("'{}'")
    )
    # Whose it is and when its hold runs out (ReservationCreated): the hold it was made from
    # has the same user and the same expiry (booking copies the hold's), see StatsHold.
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatsHold(Base):
    """A plain hold's facts (SeatsHeld, SeatsReleased with its hold id).

    Its seats count as held until released, unless a reservation was made from it — a
    reservation of the same event, user and expiry — whose own facts then count them."""

    __tablename__ = "holds"

    hold_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    seat_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    held_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_seat_ids: Mapped[list[int]] = mapped_column(
        ARRAY(BigInteger), server_default=text("'{}'")
    )


class StatsPayment(Base):
    """A payment's facts: approved (and attached to its reservation), refunded."""

    __tablename__ = "payments"

    payment_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int | None] = mapped_column(BigInteger)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refund_amount: Mapped[int | None] = mapped_column(BigInteger)
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


TABLES = ("events", "grades", "seats", "reservations", "holds", "payments")

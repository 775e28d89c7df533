"""Booking's tables (schema `booking`): events, seats, holds, reservations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, Integer, SmallInteger, String, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tiketi.kernel.db import schema_metadata

SCHEMA = "booking"


class Base(DeclarativeBase):
    """Booking's tables, in its own schema."""

    metadata = schema_metadata(SCHEMA)


class Event(Base):
    """What booking knows of a published event: its sale rules and the seat map's version."""

    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    organizer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sale_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sale_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    max_tickets_per_user: Mapped[int] = mapped_column(SmallInteger)
    queue_enabled: Mapped[bool]
    queue_max_active: Mapped[int] = mapped_column(Integer)
    queue_admit_per_second: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3), server_default="KRW")
    status: Mapped[str] = mapped_column(String(20), server_default="on_sale")
    seat_count: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Seat(Base):
    """One seat of one event's inventory (hot statements on it are written in SQL)."""

    __tablename__ = "seats"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    seat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    section: Mapped[str] = mapped_column(String(100))
    row: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(20))
    section_index: Mapped[int] = mapped_column(Integer)
    row_index: Mapped[int] = mapped_column(Integer)
    seat_index: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(20))
    price: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), server_default="available")
    hold_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reservation_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class Hold(Base):
    """Seats one user holds for a few minutes, all or none."""

    __tablename__ = "holds"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    seat_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), server_default="active")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Reservation(Base):
    """A hold on its way to being paid; the id is the payment's orderId."""

    __tablename__ = "reservations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hold_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    seat_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), server_default="KRW")
    status: Mapped[str] = mapped_column(String(20), server_default="pending_payment")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payment_key: Mapped[str | None] = mapped_column(String(200))
    cancel_reason: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    canceled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

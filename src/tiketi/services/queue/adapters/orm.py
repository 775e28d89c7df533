"""The waiting room's tables (schema `queue`): the events it serves and their pre-queue draws."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tiketi.kernel.db import schema_metadata

SCHEMA = "queue"


class Base(DeclarativeBase):
    """The queue's tables, in its own schema."""

    metadata = schema_metadata(SCHEMA)


class Event(Base):
    """A published event as the waiting room sees it, with its pre-queue seed."""

    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    organizer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    sale_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sale_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), server_default="on_sale")
    queue_enabled: Mapped[bool]
    max_active: Mapped[int] = mapped_column(Integer)
    admit_per_second: Mapped[float] = mapped_column(Float)
    seed: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64))
    epoch: Mapped[int] = mapped_column(Integer, server_default="0")
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Draw(Base):
    """The published pre-queue draw: anonymised joiners (sorted) and the order drawn."""

    __tablename__ = "draws"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    joiners: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    ordering: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

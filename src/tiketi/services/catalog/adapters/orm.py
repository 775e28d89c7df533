"""Catalog's tables in the `catalog` schema (migration 0001 creates the same).

Venues are immutable once created: their sections, rows and seats are written in one
transaction and never change, so events and booking may rely on seat ids forever.
Seat ids are bigints from one sequence (`seats_id_seq`), handed out in layout order.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Sequence,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tiketi.kernel.db import schema_metadata

SCHEMA = "catalog"


class Base(DeclarativeBase):
    """Declarative base of the catalog schema."""

    metadata = schema_metadata(SCHEMA)


SEAT_IDS = Sequence("seats_id_seq", schema=SCHEMA, metadata=Base.metadata)


class Venue(Base):
    """A place with a fixed seat layout."""

    __tablename__ = "venues"
    __table_args__ = (Index("ix_venues_created_at_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    seat_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    search_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class VenueSection(Base):
    """A section of a venue, by its position in the layout."""

    __tablename__ = "venue_sections"
    __table_args__ = (UniqueConstraint("venue_id", "name", name="uq_venue_sections_venue_name"),)

    venue_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    seat_count: Mapped[int] = mapped_column(Integer)


class VenueRow(Base):
    """A row of a section."""

    __tablename__ = "venue_rows"
    __table_args__ = (
        UniqueConstraint(
            "venue_id", "section_position", "label", name="uq_venue_rows_section_label"
        ),
        ForeignKeyConstraint(
            ["venue_id", "section_position"],
            ["venue_sections.venue_id", "venue_sections.position"],
            name="fk_venue_rows_section",
            ondelete="CASCADE",
        ),
    )

    venue_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    section_position: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(20))
    seat_count: Mapped[int] = mapped_column(Integer)


class Seat(Base):
    """A seat. Written by COPY; the unique key is also the layout's reading order."""

    __tablename__ = "seats"
    __table_args__ = (
        UniqueConstraint(
            "venue_id",
            "section_position",
            "row_position",
            "position",
            name="uq_seats_venue_place",
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger, SEAT_IDS, server_default=SEAT_IDS.next_value(), primary_key=True
    )
    venue_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    section_position: Mapped[int] = mapped_column(Integer)
    row_position: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(20))


class Event(Base):
    """A show at a venue: draft, then published (inventory exists), maybe canceled."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'canceled')", name="status"),
        CheckConstraint("starts_at < ends_at", name="times"),
        CheckConstraint("sale_opens_at < sale_closes_at", name="sale_window"),
        CheckConstraint("max_tickets_per_user BETWEEN 1 AND 20", name="ticket_limit"),
        Index("ix_events_status_starts_at_id", "status", "starts_at", "id"),
        Index("ix_events_venue_starts_at_id", "venue_id", "starts_at", "id"),
        Index("ix_events_organizer_starts_at_id", "organizer_id", "starts_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    organizer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    venue_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("venues.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sale_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sale_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), server_default="draft")
    max_tickets_per_user: Mapped[int] = mapped_column(SmallInteger)
    queue_enabled: Mapped[bool] = mapped_column(Boolean)
    queue_max_active: Mapped[int] = mapped_column(Integer)
    queue_admit_per_second: Mapped[float] = mapped_column(Float)
    image_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # normalise_text(title, venue name, address): what `q` searches with a substring match.
    search_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    canceled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class EventGrade(Base):
    """A price class of an event."""

    __tablename__ = "event_grades"
    __table_args__ = (CheckConstraint("price >= 0", name="price"),)

    event_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    price: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)


class EventSeatGrade(Base):
    """Which grade a section of the venue is sold as, for one event."""

    __tablename__ = "event_seat_grades"
    __table_args__ = (
        ForeignKeyConstraint(
            ["event_id", "grade_code"],
            ["event_grades.event_id", "event_grades.code"],
            name="fk_event_seat_grades_grade",
            ondelete="CASCADE",
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    section_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    grade_code: Mapped[str] = mapped_column(String(20))


class EventImage(Base):
    """A poster uploaded for an event (the newest is the event's image_url)."""

    __tablename__ = "event_images"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(512))
    url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

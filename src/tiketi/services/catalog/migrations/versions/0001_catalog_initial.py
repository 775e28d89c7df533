"""catalog: venues, sections, rows, seats, events, grades, seat grades, images, outbox

Revision ID: catalog_0001
Revises:
Create Date: 2025-01-01 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from tiketi.kernel.outbox import create_outbox_tables, drop_outbox_tables

revision: str = "catalog_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"


def _timestamp(name: str, *, nullable: bool = False, default: bool = True) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.func.now() if default else None,
        nullable=nullable,
    )


def _venues() -> None:
    op.create_table(
        "venues",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("seat_count", sa.Integer(), nullable=False),
        sa.Column("created_by", UUID(as_uuid=True), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_venues"),
        schema=SCHEMA,
    )
    op.create_index("ix_venues_created_at_id", "venues", ["created_at", "id"], schema=SCHEMA)
    op.create_table(
        "venue_sections",
        sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("seat_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("venue_id", "position", name="pk_venue_sections"),
        sa.UniqueConstraint("venue_id", "name", name="uq_venue_sections_venue_name"),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            [f"{SCHEMA}.venues.id"],
            name="fk_venue_sections_venue_id_venues",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "venue_rows",
        sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
        sa.Column("section_position", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(20), nullable=False),
        sa.Column("seat_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("venue_id", "section_position", "position", name="pk_venue_rows"),
        sa.UniqueConstraint(
            "venue_id", "section_position", "label", name="uq_venue_rows_section_label"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id", "section_position"],
            [f"{SCHEMA}.venue_sections.venue_id", f"{SCHEMA}.venue_sections.position"],
            name="fk_venue_rows_section",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.execute(sa.text(f"CREATE SEQUENCE {SCHEMA}.seats_id_seq AS bigint"))
    # No foreign key on seats: a venue's seats are COPYed in the transaction that creates the
    # venue and never change, and 100,000 per-row RI checks would double the insert time.
    op.create_table(
        "seats",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text(f"nextval('{SCHEMA}.seats_id_seq')"),
            nullable=False,
        ),
        sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
        sa.Column("section_position", sa.Integer(), nullable=False),
        sa.Column("row_position", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_seats"),
        sa.UniqueConstraint(
            "venue_id", "section_position", "row_position", "position", name="uq_seats_venue_place"
        ),
        schema=SCHEMA,
    )
    op.execute(sa.text(f"ALTER SEQUENCE {SCHEMA}.seats_id_seq OWNED BY {SCHEMA}.seats.id"))


def _events() -> None:
    op.create_table(
        "events",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("organizer_id", UUID(as_uuid=True), nullable=False),
        sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sale_opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sale_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), server_default="draft", nullable=False),
        sa.Column("max_tickets_per_user", sa.SmallInteger(), nullable=False),
        sa.Column("queue_enabled", sa.Boolean(), nullable=False),
        sa.Column("queue_max_active", sa.Integer(), nullable=False),
        sa.Column("queue_admit_per_second", sa.Float(), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("published_at", nullable=True, default=False),
        _timestamp("canceled_at", nullable=True, default=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.ForeignKeyConstraint(
            ["venue_id"], [f"{SCHEMA}.venues.id"], name="fk_events_venue_id_venues"
        ),
        sa.CheckConstraint("status IN ('draft', 'published', 'canceled')", name="ck_events_status"),
        sa.CheckConstraint("starts_at < ends_at", name="ck_events_times"),
        sa.CheckConstraint("sale_opens_at < sale_closes_at", name="ck_events_sale_window"),
        sa.CheckConstraint("max_tickets_per_user BETWEEN 1 AND 20", name="ck_events_ticket_limit"),
        schema=SCHEMA,
    )
    # Keyset pagination by (starts_at, id) under each filter the list offers.
    for name, columns in (
        ("ix_events_status_starts_at_id", ["status", "starts_at", "id"]),
        ("ix_events_venue_starts_at_id", ["venue_id", "starts_at", "id"]),
        ("ix_events_organizer_starts_at_id", ["organizer_id", "starts_at", "id"]),
    ):
        op.create_index(name, "events", columns, schema=SCHEMA)
    op.create_table(
        "event_grades",
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "code", name="pk_event_grades"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [f"{SCHEMA}.events.id"],
            name="fk_event_grades_event_id_events",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("price >= 0", name="ck_event_grades_price"),
        schema=SCHEMA,
    )
    op.create_table(
        "event_seat_grades",
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("section_name", sa.String(100), nullable=False),
        sa.Column("grade_code", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "section_name", name="pk_event_seat_grades"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [f"{SCHEMA}.events.id"],
            name="fk_event_seat_grades_event_id_events",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id", "grade_code"],
            [f"{SCHEMA}.event_grades.event_id", f"{SCHEMA}.event_grades.code"],
            name="fk_event_seat_grades_grade",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "event_images",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", UUID(as_uuid=True), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_event_images"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [f"{SCHEMA}.events.id"],
            name="fk_event_images_event_id_events",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_event_images_event_id", "event_images", ["event_id"], schema=SCHEMA)


def upgrade() -> None:
    _venues()
    _events()
    create_outbox_tables(op, SCHEMA)


def downgrade() -> None:
    drop_outbox_tables(op, SCHEMA)
    for table in (
        "event_images",
        "event_seat_grades",
        "event_grades",
        "events",
        "seats",
        "venue_rows",
        "venue_sections",
        "venues",
    ):
        op.drop_table(table, schema=SCHEMA)

"""booking: events, seats (the inventory), holds, reservations, outbox

Revision ID: booking_0001
Revises:
Create Date: 2025-01-01 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from tiketi.kernel.outbox import create_outbox_tables, drop_outbox_tables

revision: str = "booking_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "booking"


def _timestamp(name: str, *, nullable: bool = False, default: bool = True) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.func.now() if default else None,
        nullable=nullable,
    )


def _events() -> None:
    op.create_table(
        "events",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("organizer_id", UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        _timestamp("starts_at", default=False),
        _timestamp("ends_at", default=False),
        _timestamp("sale_opens_at", default=False),
        _timestamp("sale_closes_at", default=False),
        sa.Column("max_tickets_per_user", sa.SmallInteger(), nullable=False),
        sa.Column("queue_enabled", sa.Boolean(), nullable=False),
        sa.Column("queue_max_active", sa.Integer(), nullable=False),
        sa.Column("queue_admit_per_second", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(3), server_default="KRW", nullable=False),
        sa.Column("status", sa.String(20), server_default="on_sale", nullable=False),
        sa.Column("seat_count", sa.Integer(), nullable=False),
        # Bumped by every committed seat change, in the same transaction: the seat map's
        # snapshot version.
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.CheckConstraint("status IN ('on_sale', 'canceled')", name="ck_events_status"),
        sa.CheckConstraint("max_tickets_per_user >= 1", name="ck_events_ticket_limit"),
        schema=SCHEMA,
    )


def _seats() -> None:
    # No foreign key to events: 100,000 seats are COPYed in the transaction that creates the
    # event row, and per-row RI checks would double the insert time.
    op.create_table(
        "seats",
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("seat_id", sa.BigInteger(), nullable=False),
        sa.Column("section", sa.String(100), nullable=False),
        sa.Column("row", sa.String(20), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("section_index", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("seat_index", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(20), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(10), server_default="available", nullable=False),
        sa.Column("hold_id", UUID(as_uuid=True), nullable=True),
        _timestamp("hold_expires_at", nullable=True, default=False),
        sa.Column("reservation_id", sa.String(64), nullable=True),
        sa.Column("user_id", UUID(as_uuid=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id", "seat_id", name="pk_seats"),
        # The last guard: whatever the code does, a seat's row cannot say something impossible.
        sa.CheckConstraint("status IN ('available', 'held', 'sold')", name="ck_seats_status"),
        sa.CheckConstraint(
            "status <> 'available' OR "
            "(hold_id IS NULL AND reservation_id IS NULL AND user_id IS NULL)",
            name="ck_seats_available_is_free",
        ),
        sa.CheckConstraint(
            "status <> 'held' OR "
            "(hold_id IS NOT NULL AND hold_expires_at IS NOT NULL AND user_id IS NOT NULL)",
            name="ck_seats_held_has_hold",
        ),
        sa.CheckConstraint(
            "status <> 'sold' OR (reservation_id IS NOT NULL AND user_id IS NOT NULL)",
            name="ck_seats_sold_has_reservation",
        ),
        sa.CheckConstraint("price >= 0", name="ck_seats_price"),
        schema=SCHEMA,
    )
    op.create_index("ix_seats_event_grade", "seats", ["event_id", "grade"], schema=SCHEMA)
    op.create_index(
        "ix_seats_event_user",
        "seats",
        ["event_id", "user_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("user_id IS NOT NULL"),
    )
    op.create_index(
        "ix_seats_hold",
        "seats",
        ["hold_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("hold_id IS NOT NULL"),
    )
    op.create_index(
        "ix_seats_reservation",
        "seats",
        ["reservation_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("reservation_id IS NOT NULL"),
    )
    # The sweeper's scan: only held seats are in it.
    op.create_index(
        "ix_seats_hold_expiry",
        "seats",
        ["hold_expires_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'held'"),
    )


def _holds_and_reservations() -> None:
    op.create_table(
        "holds",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("seat_ids", ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(10), server_default="active", nullable=False),
        _timestamp("expires_at", default=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_holds"),
        sa.CheckConstraint("status IN ('active', 'released', 'reserved')", name="ck_holds_status"),
        schema=SCHEMA,
    )
    op.create_index("ix_holds_user_event", "holds", ["user_id", "event_id"], schema=SCHEMA)
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("hold_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("seat_ids", ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), server_default="KRW", nullable=False),
        sa.Column("status", sa.String(20), server_default="pending_payment", nullable=False),
        _timestamp("expires_at", default=False),
        sa.Column("payment_key", sa.String(200), nullable=True),
        sa.Column("cancel_reason", sa.String(50), nullable=True),
        _timestamp("created_at"),
        _timestamp("confirmed_at", nullable=True, default=False),
        _timestamp("canceled_at", nullable=True, default=False),
        sa.PrimaryKeyConstraint("id", name="pk_reservations"),
        # One hold becomes one reservation at most.
        sa.UniqueConstraint("hold_id", name="uq_reservations_hold_id"),
        sa.CheckConstraint(
            "status IN ('pending_payment', 'confirmed', 'canceled', 'expired', 'refunded')",
            name="ck_reservations_status",
        ),
        sa.CheckConstraint(
            "status <> 'confirmed' OR payment_key IS NOT NULL", name="ck_reservations_paid"
        ),
        sa.CheckConstraint("amount >= 0", name="ck_reservations_amount"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_reservations_user_created_id",
        "reservations",
        ["user_id", "created_at", "id"],
        schema=SCHEMA,
    )
    op.create_index("ix_reservations_event", "reservations", ["event_id"], schema=SCHEMA)


def upgrade() -> None:
    _events()
    _seats()
    _holds_and_reservations()
    create_outbox_tables(op, SCHEMA)


def downgrade() -> None:
    drop_outbox_tables(op, SCHEMA)
    for table in ("reservations", "holds", "seats", "events"):
        op.drop_table(table, schema=SCHEMA)

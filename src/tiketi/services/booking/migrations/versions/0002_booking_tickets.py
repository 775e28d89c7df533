"""booking: tickets (one per sold seat, with a signed QR token; checked in once)

Revision ID: booking_0002
Revises: booking_0001
Create Date: 2025-01-02 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "booking_0002"
down_revision: str | None = "booking_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "booking"


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("reservation_id", sa.String(64), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("seat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("qr_token", sa.String(64), nullable=False),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_by", UUID(as_uuid=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            [f"{SCHEMA}.reservations.id"],
            name="fk_tickets_reservation_id_reservations",
        ),
        sa.UniqueConstraint("qr_token", name="uq_tickets_qr_token"),
        sa.CheckConstraint(
            "(checked_in_at IS NULL) = (checked_in_by IS NULL)", name="ck_tickets_checked_in_by"
        ),
        schema=SCHEMA,
    )
    # The last guard against a seat admitting two people: one valid ticket per seat.
    op.create_index(
        "uq_tickets_event_seat_valid",
        "tickets",
        ["event_id", "seat_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("voided_at IS NULL"),
    )
    op.create_index("ix_tickets_reservation", "tickets", ["reservation_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("tickets", schema=SCHEMA)

"""stats: events, grades, seats, reservations, payments (facts), processed ids

Revision ID: stats_0001
Revises:
Create Date: 2026-11-30 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from tiketi.kernel.outbox import create_outbox_tables, drop_outbox_tables

revision: str = "stats_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "stats"


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("organizer_id", UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("seat_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(20), nullable=False, server_default="on_sale"),
        _ts("published_at"),
        _ts("canceled_at"),
        schema=SCHEMA,
    )
    op.create_table(
        "grades",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("seat_count", sa.Integer, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "seats",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("seat_id", sa.BigInteger, primary_key=True),
        sa.Column("grade", sa.String(20), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("seat_ids", ARRAY(sa.BigInteger), nullable=True),
        sa.Column("amount", sa.BigInteger, nullable=True),
        _ts("created_at"),
        _ts("confirmed_at"),
        _ts("canceled_at"),
        sa.Column(
            "released_seat_ids",
            ARRAY(sa.BigInteger),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_reservations_event_id", "reservations", ["event_id"], schema=SCHEMA)
    op.create_table(
        "payments",
        sa.Column("payment_key", sa.String(200), primary_key=True),
        sa.Column("reservation_id", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=True),
        _ts("approved_at"),
        sa.Column("refund_amount", sa.BigInteger, nullable=True),
        _ts("refunded_at"),
        schema=SCHEMA,
    )
    op.create_index("ix_payments_reservation_id", "payments", ["reservation_id"], schema=SCHEMA)
    # Stats publishes nothing, but the consumer's processed ids and dead letters live here.
    create_outbox_tables(op, SCHEMA)


def downgrade() -> None:
    drop_outbox_tables(op, SCHEMA)
    for name in ("payments", "reservations", "seats", "grades", "events"):
        op.drop_table(name, schema=SCHEMA)

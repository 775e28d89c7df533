"""stats: plain holds (SeatsHeld), and whose a reservation is and when it expires

Revision ID: stats_0002
Revises: stats_0001
Create Date: 2026-11-30 12:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision: str = "stats_0002"
down_revision: str | None = "stats_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "stats"


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("hold_id", sa.String(64), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=True),
        sa.Column("seat_ids", ARRAY(sa.BigInteger), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "released_seat_ids",
            ARRAY(sa.BigInteger),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_holds_event_id", "holds", ["event_id"], schema=SCHEMA)
    op.add_column("reservations", sa.Column("user_id", UUID(as_uuid=True)), schema=SCHEMA)
    op.add_column(
        "reservations", sa.Column("expires_at", sa.DateTime(timezone=True)), schema=SCHEMA
    )
    # A hold that became a reservation is found by (event, user, expiry): see queries.py.
    op.create_index(
        "ix_reservations_event_user", "reservations", ["event_id", "user_id"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index("ix_reservations_event_user", table_name="reservations", schema=SCHEMA)
    op.drop_column("reservations", "expires_at", schema=SCHEMA)
    op.drop_column("reservations", "user_id", schema=SCHEMA)
    op.drop_table("holds", schema=SCHEMA)

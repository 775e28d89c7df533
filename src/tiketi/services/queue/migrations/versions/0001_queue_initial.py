"""queue: events served (with the pre-queue seed and commitment), draws, consumer tables

Revision ID: queue_0001
Revises:
Create Date: 2025-01-01 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from tiketi.kernel.outbox import dead_events_table, processed_events_table

revision: str = "queue_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "queue"


def _timestamp(name: str, *, nullable: bool = False, default: bool = True) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.func.now() if default else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("organizer_id", UUID(as_uuid=True), nullable=False),
        _timestamp("sale_opens_at", default=False),
        _timestamp("sale_closes_at", default=False),
        sa.Column("status", sa.String(20), server_default="on_sale", nullable=False),
        sa.Column("queue_enabled", sa.Boolean(), nullable=False),
        sa.Column("max_active", sa.Integer(), nullable=False),
        sa.Column("admit_per_second", sa.Float(), nullable=False),
        # The pre-queue's seed stays secret until the draw; its SHA-256 is public from the
        # start. Kept here, not in Redis: a published commitment must survive a Redis loss.
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("commitment", sa.String(64), nullable=False),
        # Bumped each time the room's Redis state is created: 0 = never, > 1 = lost once.
        sa.Column("epoch", sa.Integer(), server_default="0", nullable=False),
        _timestamp("drawn_at", nullable=True, default=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.CheckConstraint("status IN ('on_sale', 'canceled')", name="ck_events_status"),
        sa.CheckConstraint("max_active >= 1", name="ck_events_max_active"),
        sa.CheckConstraint("admit_per_second > 0", name="ck_events_admit_per_second"),
        sa.CheckConstraint("epoch >= 0", name="ck_events_epoch"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_events_sale_closes_at",
        "events",
        ["sale_closes_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("queue_enabled"),
    )
    op.create_table(
        "draws",
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("joiners", ARRAY(sa.String(64)), nullable=False),
        sa.Column("ordering", ARRAY(sa.String(64)), nullable=False),
        _timestamp("drawn_at"),
        sa.PrimaryKeyConstraint("event_id", name="pk_draws"),
        sa.ForeignKeyConstraint(
            ["event_id"], [f"{SCHEMA}.events.id"], name="fk_draws_event_id_events"
        ),
        schema=SCHEMA,
    )
    bind = op.get_bind()
    metadata = sa.MetaData()
    processed_events_table(SCHEMA, metadata).create(bind)
    dead_events_table(SCHEMA, metadata).create(bind)


def downgrade() -> None:
    for table in ("dead_events", "processed_events", "draws", "events"):
        op.drop_table(table, schema=SCHEMA)

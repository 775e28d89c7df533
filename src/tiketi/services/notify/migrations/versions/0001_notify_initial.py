"""notify: users, events, reservations it mails about; the emails it owes; consumer tables

Revision ID: notify_0001
Revises:
Create Date: 2026-11-30 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from tiketi.kernel.outbox import dead_events_table, processed_events_table

revision: str = "notify_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notify"


def _time(name: str, *, nullable: bool = True, default: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.func.now() if default else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("locale", sa.String(20), server_default="ko", nullable=False),
        _time("created_at", nullable=False, default=True),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
        # Auth's contract makes an email mandatory; an empty one must never reach a sender.
        sa.CheckConstraint("email LIKE '%_@_%'", name="ck_users_email"),
        schema=SCHEMA,
    )
    op.create_table(
        "events",
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("venue_name", sa.String(200), nullable=True),
        _time("starts_at"),
        _time("as_of", nullable=False),
        _time("canceled_at"),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("cancel_message_id", UUID(as_uuid=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name="pk_events"),
        schema=SCHEMA,
    )
    op.create_table(
        "reservations",
        sa.Column("reservation_id", sa.String(64), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("cancel_reason", sa.String(50), nullable=True),
        sa.PrimaryKeyConstraint("reservation_id", name="pk_reservations"),
        schema=SCHEMA,
    )
    op.create_index("ix_reservations_event", "reservations", ["event_id"], schema=SCHEMA)
    op.create_table(
        "emails",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("source_event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("data", JSONB(), nullable=False),
        sa.Column("state", sa.String(10), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _time("next_attempt_at", nullable=False, default=True),
        _time("lease_until"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("recipient", sa.String(320), nullable=True),
        sa.Column("message_id", sa.String(255), nullable=True),
        _time("created_at", nullable=False, default=True),
        _time("sent_at"),
        _time("dead_at"),
        sa.PrimaryKeyConstraint("id", name="pk_emails"),
        # The exactly-once key: one email per integration event and recipient, however often
        # the event is delivered.
        sa.UniqueConstraint("source_event_id", "user_id", name="uq_emails_source_event_id"),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'dead', 'skipped')", name="ck_emails_state"
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_emails_attempts"),
        schema=SCHEMA,
    )
    # What the sender polls: due and abandoned emails only, however many were sent.
    op.create_index(
        "ix_emails_due",
        "emails",
        ["next_attempt_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("state IN ('pending', 'sending')"),
    )
    op.create_index(
        "ix_emails_dead",
        "emails",
        ["id"],
        schema=SCHEMA,
        postgresql_where=sa.text("state = 'dead'"),
    )
    bind = op.get_bind()
    metadata = sa.MetaData()
    processed_events_table(SCHEMA, metadata).create(bind)
    dead_events_table(SCHEMA, metadata).create(bind)


def downgrade() -> None:
    for name in ("dead_events", "processed_events", "emails", "reservations", "events", "users"):
        op.drop_table(name, schema=SCHEMA)

"""payment: payments, webhooks, the sandbox's store, outbox

Revision ID: payment_0001
Revises:
Create Date: 2025-01-03 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from tiketi.kernel.outbox import create_outbox_tables, drop_outbox_tables

revision: str = "payment_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "payment"
# States the reconciler settles (everything but confirmed, failed, refunded).
OPEN_STATES = "state IN ('approving', 'unknown', 'approved', 'refunding')"


def _timestamp(name: str, *, nullable: bool = False, default: bool = True) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.func.now() if default else None,
        nullable=nullable,
    )


def _payments() -> None:
    op.create_table(
        "payments",
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=True),
        sa.Column("payment_key", sa.String(200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("toss_status", sa.String(30), nullable=True),
        sa.Column("method", sa.String(50), nullable=True),
        _timestamp("approved_at", nullable=True, default=False),
        sa.Column("balance_amount", sa.BigInteger(), nullable=True),
        sa.Column("cancels", JSONB(), server_default="[]", nullable=False),
        sa.Column("receipt_url", sa.String(500), nullable=True),
        sa.Column("secret", sa.String(100), nullable=True),
        sa.Column("failure_code", sa.String(80), nullable=True),
        sa.Column("failure_message", sa.String(500), nullable=True),
        sa.Column("refund_reason", sa.String(40), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _timestamp("lease_until", nullable=True, default=False),
        _timestamp("next_attempt_at"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("order_id", name="pk_payments"),
        sa.CheckConstraint("amount > 0", name="ck_payments_amount_positive"),
        sa.CheckConstraint(
            "state IN ('approving', 'unknown', 'approved', 'confirmed', 'failed', "
            "'refunding', 'refunded')",
            name="ck_payments_state",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_payments_open",
        "payments",
        ["next_attempt_at"],
        schema=SCHEMA,
        postgresql_where=sa.text(OPEN_STATES),
    )
    op.create_index("ix_payments_payment_key", "payments", ["payment_key"], schema=SCHEMA)


def _webhooks() -> None:
    op.create_table(
        "webhooks",
        sa.Column("transmission_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("body", JSONB(), nullable=False),
        sa.Column("result", sa.String(60), nullable=True),
        _timestamp("received_at"),
        _timestamp("processed_at", nullable=True, default=False),
        sa.PrimaryKeyConstraint("transmission_id", name="pk_webhooks"),
        schema=SCHEMA,
    )


def _sandbox() -> None:
    op.create_table(
        "sandbox_payments",
        sa.Column("payment_key", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("order_name", sa.String(100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(30), nullable=False),
        sa.Column("failures_left", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cancels", JSONB(), server_default="[]", nullable=False),
        sa.Column("last_transaction_key", sa.String(64), nullable=True),
        _timestamp("requested_at"),
        _timestamp("approved_at", nullable=True, default=False),
        sa.PrimaryKeyConstraint("payment_key", name="pk_sandbox_payments"),
        schema=SCHEMA,
    )
    op.create_index("ix_sandbox_payments_order_id", "sandbox_payments", ["order_id"], schema=SCHEMA)
    op.create_table(
        "sandbox_idempotency",
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", JSONB(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("key", name="pk_sandbox_idempotency"),
        schema=SCHEMA,
    )


def upgrade() -> None:
    _payments()
    _webhooks()
    _sandbox()
    create_outbox_tables(op, SCHEMA)


def downgrade() -> None:
    drop_outbox_tables(op, SCHEMA)
    for table in ("sandbox_idempotency", "sandbox_payments", "webhooks", "payments"):
        op.drop_table(table, schema=SCHEMA)

"""The transactional outbox: events are rows written in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sqlalchemy as sa
from alembic.operations import Operations
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.events import IntegrationEvent


@cache
def _cached(build: Callable[[str, sa.MetaData], sa.Table], schema: str) -> sa.Table:
    # One Table object per schema for the process: SQLAlchemy keys its compiled-statement cache
    # on the Table, so a fresh Table per call would recompile every relay poll and every publish.
    return build(schema, sa.MetaData())


def outbox_table(schema: str, metadata: sa.MetaData | None = None) -> sa.Table:
    """`<schema>.outbox`: one row per event, relayed to Redis Streams in id order."""
    if metadata is None:
        return _cached(_outbox_table, schema)
    return _outbox_table(schema, metadata)


def _outbox_table(schema: str, metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        schema=schema,
        keep_existing=True,
    )


def processed_events_table(schema: str, metadata: sa.MetaData | None = None) -> sa.Table:
    """`<schema>.processed_events`: ids a consumer group has applied, for exactly-once effects."""
    if metadata is None:
        return _cached(_processed_events_table, schema)
    return _processed_events_table(schema, metadata)


def _processed_events_table(schema: str, metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "processed_events",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        schema=schema,
        keep_existing=True,
    )


def dead_events_table(schema: str, metadata: sa.MetaData | None = None) -> sa.Table:
    """`<schema>.dead_events`: events a consumer gave up on after its attempts, for admins."""
    if metadata is None:
        return _cached(_dead_events_table, schema)
    return _dead_events_table(schema, metadata)


def _dead_events_table(schema: str, metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "dead_events",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        schema=schema,
        keep_existing=True,
    )


def create_outbox_tables(op: Operations, schema: str) -> None:
    """Alembic step for a service's first migration: outbox, processed ids, dead letters."""
    bind = op.get_bind()
    metadata = sa.MetaData()
    for table in (
        outbox_table(schema, metadata),
        processed_events_table(schema, metadata),
        dead_events_table(schema, metadata),
    ):
        table.create(bind)
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        schema=schema,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def drop_outbox_tables(op: Operations, schema: str) -> None:
    """Alembic downgrade counterpart of create_outbox_tables."""
    for name in ("dead_events", "processed_events", "outbox"):
        op.drop_table(name, schema=schema)


async def publish(session: AsyncSession, schema: str, *events: IntegrationEvent) -> None:
    """Add events to the outbox inside the caller's transaction; the relay sends them later."""
    if not events:
        return
    table = outbox_table(schema)
    await session.execute(
        sa.insert(table),
        [
            {
                "event_id": event.message_id,
                "event_type": event.event_type,
                "version": event.version,
                "payload": event.model_dump(mode="json"),
            }
            for event in events
        ],
    )

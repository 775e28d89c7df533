"""The payment service's tables (schema `payment`): payments, webhooks, and the sandbox's store."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tiketi.kernel.db import schema_metadata

SCHEMA = "payment"


class Base(DeclarativeBase):
    """Payment's tables, in its own schema."""

    metadata = schema_metadata(SCHEMA)


class Payment(Base):
    """One order's payment as we know it; `state` is ours, `toss_status` TossPayments' word."""

    __tablename__ = "payments"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # None for a payment learnt of from TossPayments alone (a webhook for an order we never saw).
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    payment_key: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20))
    toss_status: Mapped[str | None] = mapped_column(String(30))
    method: Mapped[str | None] = mapped_column(String(50))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    balance_amount: Mapped[int | None] = mapped_column(BigInteger)
    cancels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    receipt_url: Mapped[str | None] = mapped_column(String(500))
    # A virtual account's deposit secret: DEPOSIT_CALLBACK webhooks must quote it.
    secret: Mapped[str | None] = mapped_column(String(100))
    failure_code: Mapped[str | None] = mapped_column(String(80))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    refund_reason: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    # Whoever holds an unexpired lease is working on the payment (a confirm, the reconciler).
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Webhook(Base):
    """A TossPayments webhook delivery, stored once per transmission id."""

    __tablename__ = "webhooks"

    transmission_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(60))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    result: Mapped[str | None] = mapped_column(String(60))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SandboxPayment(Base):
    """The sandbox's payments: what TossPayments would hold (the fault-injection suite reads it)."""

    __tablename__ = "sandbox_payments"

    payment_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    order_name: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20))
    # The fault the widget asked for, applied at confirmation.
    outcome: Mapped[str] = mapped_column(String(30))
    failures_left: Mapped[int] = mapped_column(Integer, server_default="0")
    cancels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    last_transaction_key: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SandboxIdempotency(Base):
    """The sandbox's Idempotency-Key memory: the first answer to a key, replayed on repeats."""

    __tablename__ = "sandbox_idempotency"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

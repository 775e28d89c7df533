"""The emails notify owes: queued by the consumer, claimed and settled by the sender.

A row is keyed by (source integration event, user): however often an event is delivered, one
row exists. The sender claims due rows with a lease (`sending`, `lease_until`), sends outside
any transaction, and marks each one sent only after the SMTP server accepted it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, String, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.services.notify.adapters.orm import SCHEMA, Email
from tiketi.services.notify.domain.models import EmailKind, EmailState


@dataclass(frozen=True)
class Claimed:
    """An email a sender now holds the lease of, and the attempt this is."""

    id: int
    source_event_id: uuid.UUID
    user_id: uuid.UUID
    kind: EmailKind
    data: dict[str, Any]
    attempts: int


_CLAIM = text(
    f"""UPDATE {SCHEMA}.emails SET state = 'sending', attempts = attempts + 1,
        lease_until = now() + make_interval(secs => :lease)
    WHERE id IN (
        SELECT id FROM {SCHEMA}.emails
        WHERE (state = 'pending' AND next_attempt_at <= now())
           OR (state = 'sending' AND lease_until <= now())
        ORDER BY next_attempt_at, id
        LIMIT :batch
        FOR UPDATE SKIP LOCKED)
    RETURNING id, source_event_id, user_id, kind, data, attempts"""  # noqa: S608
).columns(
    id=BigInteger,
    source_event_id=UUID(as_uuid=True),
    user_id=UUID(as_uuid=True),
    kind=String,
    data=JSONB,
    attempts=Integer,
)


class Emails:
    """The email queue, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(
        self,
        *,
        source_event_id: uuid.UUID,
        user_id: uuid.UUID,
        kind: EmailKind,
        data: dict[str, Any],
    ) -> bool:
        """Owe one email; False when it is owed already (a redelivered or repeated event)."""
        result = await self.session.execute(
            insert(Email)
            .values(source_event_id=source_event_id, user_id=user_id, kind=kind.value, data=data)
            .on_conflict_do_nothing(index_elements=[Email.source_event_id, Email.user_id])
            .returning(Email.id)
        )
        return result.first() is not None

    async def enqueue_all(
        self,
        *,
        source_event_id: uuid.UUID,
        users: Select[uuid.UUID],
        kind: EmailKind,
        data: dict[str, Any],
    ) -> None:
        """Owe one email to each user `users` selects, in one statement (an event canceled
        with 30,000 holders is one INSERT … SELECT, not 30,000 round trips)."""
        chosen = users.subquery()
        rows = select(
            literal(source_event_id, UUID(as_uuid=True)),
            chosen.c.user_id,
            literal(kind.value, String),
            literal(data, JSONB),
        )
        await self.session.execute(
            insert(Email)
            .from_select(["source_event_id", "user_id", "kind", "data"], rows)
            .on_conflict_do_nothing(index_elements=[Email.source_event_id, Email.user_id])
        )

    async def claim(self, *, batch: int, lease: timedelta) -> list[Claimed]:
        """Take up to `batch` due emails, and those whose sender died (its lease ran out).
        SKIP LOCKED lets every replica's sender claim at once without taking the same row."""
        rows = await self.session.execute(_CLAIM, {"batch": batch, "lease": lease.total_seconds()})
        claimed = [
            Claimed(row.id, row.source_event_id, row.user_id, EmailKind(row.kind), row.data,
                    row.attempts)
            for row in rows.all()
        ]  # fmt: skip
        return sorted(claimed, key=lambda email: email.id)

    async def mark_sent(self, email_id: int, *, recipient: str, message_id: str) -> None:
        """The SMTP server accepted it (or its file is written)."""
        await self._settle(
            email_id,
            state=EmailState.SENT.value,
            sent_at=func.now(),
            recipient=recipient,
            message_id=message_id,
            last_error=None,
        )

    async def mark_skipped(self, email_id: int, *, reason: str) -> None:
        """Nothing left to send."""
        await self._settle(email_id, state=EmailState.SKIPPED.value, last_error=reason[:4000])

    async def mark_failed(self, email_id: int, *, error: str, retry_at: datetime | None) -> None:
        """Back to pending until `retry_at`, or dead (None) after the last attempt."""
        if retry_at is None:
            await self._settle(
                email_id, state=EmailState.DEAD.value, dead_at=func.now(), last_error=error[:4000]
            )
        else:
            await self._settle(
                email_id,
                state=EmailState.PENDING.value,
                next_attempt_at=retry_at,
                last_error=error[:4000],
            )

    async def _settle(self, email_id: int, **values: Any) -> None:
        # Only the lease holder settles: a row taken over after a lease ran out is not
        # overwritten by the sender that lost it.
        await self.session.execute(
            update(Email)
            .where(Email.id == email_id, Email.state == EmailState.SENDING.value)
            .values(lease_until=None, **values)
        )

    async def get(self, email_id: int, *, lock: bool = False) -> Email | None:
        """One email."""
        query = select(Email).where(Email.id == email_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def dead(self, *, limit: int, before_id: int | None) -> list[Email]:
        """Dead-lettered emails, newest first."""
        query = select(Email).where(Email.state == EmailState.DEAD.value)
        if before_id is not None:
            query = query.where(Email.id < before_id)
        rows = await self.session.scalars(query.order_by(Email.id.desc()).limit(limit))
        return list(rows.all())

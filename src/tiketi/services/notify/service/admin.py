"""What admins see and do: dead-lettered emails, and sending one again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tiketi.kernel.errors import BadRequest
from tiketi.services.notify.adapters.emails import Emails
from tiketi.services.notify.adapters.orm import Email
from tiketi.services.notify.domain.errors import EmailNotDead, EmailNotFound
from tiketi.services.notify.domain.models import EmailState
from tiketi.services.notify.service.common import Notify, utcnow


@dataclass(frozen=True)
class EmailView:
    """An email as admins see it (never its content: QR tokens admit people)."""

    id: int
    kind: str
    state: str
    user_id: str
    recipient: str | None
    source_event_id: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    dead_at: datetime | None


def _view(email: Email) -> EmailView:
    return EmailView(
        id=email.id,
        kind=email.kind,
        state=email.state,
        user_id=str(email.user_id),
        recipient=email.recipient,
        source_event_id=str(email.source_event_id),
        attempts=email.attempts,
        last_error=email.last_error,
        created_at=email.created_at,
        next_attempt_at=email.next_attempt_at,
        sent_at=email.sent_at,
        dead_at=email.dead_at,
    )


def _cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 19:
        raise BadRequest("The cursor is not valid.", code="INVALID_CURSOR")
    return int(cursor)


async def list_dead_letters(
    *, notify: Notify, limit: int, cursor: str | None
) -> tuple[list[EmailView], str | None]:
    """Dead-lettered emails, newest first; the next page's cursor."""
    async with notify.uow() as uow:
        rows = await Emails(uow.session).dead(limit=limit + 1, before_id=_cursor(cursor))
        views = [_view(row) for row in rows[:limit]]
    next_cursor = str(views[-1].id) if len(rows) > limit else None
    return views, next_cursor


async def retry_dead_letter(*, notify: Notify, email_id: int) -> EmailView:
    """Send a dead-lettered email again (after fixing what failed): it gets a fresh set of
    attempts and goes out on the sender's next turn."""
    async with notify.uow() as uow:
        email = await Emails(uow.session).get(email_id, lock=True)
        if email is None:
            raise EmailNotFound(details={"id": email_id})
        if email.state != EmailState.DEAD:
            raise EmailNotDead(details={"id": email_id, "state": email.state})
        email.state = EmailState.PENDING.value
        email.attempts = 0
        email.next_attempt_at = utcnow()
        email.dead_at = None
        await uow.session.flush()
        view = _view(email)
        await uow.commit()
    return view

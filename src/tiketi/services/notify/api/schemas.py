"""Response bodies of notify's admin endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from tiketi.services.notify.service.admin import EmailView


class ErrorBody(BaseModel):
    """The error's code, message and details."""

    code: str
    message: str
    details: dict[str, object]


class ErrorRead(BaseModel):
    """Every failure's body."""

    error: ErrorBody


class EmailRead(BaseModel):
    """An email's delivery record (never its content)."""

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

    @classmethod
    def of(cls, view: EmailView) -> EmailRead:
        """From the use case's view."""
        return cls(**view.__dict__)


class EmailPage(BaseModel):
    """A page of emails, newest first."""

    items: list[EmailRead]
    next_cursor: str | None

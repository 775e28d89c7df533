"""Small helpers every catalog use case shares."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tiketi.kernel.errors import DomainError, Forbidden
from tiketi.kernel.tokens import Principal


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def parse_id(value: str, missing: type[DomainError]) -> uuid.UUID:
    """A path id as a UUID; anything else is simply not found."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise missing() from exc


def actor_id(principal: Principal) -> uuid.UUID:
    """The caller's user id (auth's ids are UUIDs)."""
    try:
        return uuid.UUID(principal.id)
    except ValueError as exc:
        raise Forbidden("This account cannot own catalog entries.") from exc


def is_admin(principal: Principal | None) -> bool:
    """True for admins."""
    return principal is not None and principal.role == "admin"

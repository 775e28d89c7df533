"""Operator commands of the auth service (the CLI's `tiketi admin create`)."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from tiketi.kernel.db import Database, UnitOfWork
from tiketi.services.auth import service
from tiketi.services.auth.domain.errors import InvalidField
from tiketi.services.auth.settings import AuthSettings, get_settings


async def create_admin(
    db: Database,
    *,
    email: str,
    password: str,
    name: str | None,
    settings: AuthSettings | None = None,
) -> dict[str, Any]:
    """Create an admin, or promote the account with this email (its password is set to this)."""
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidField("email", str(exc)) from exc
    user, created = await service.ensure_admin(
        uow=UnitOfWork(db.sessions),
        hasher=service.password_hashing(settings or get_settings()),
        email=address,
        password=password,
        name=name,
    )
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "created": created,
    }

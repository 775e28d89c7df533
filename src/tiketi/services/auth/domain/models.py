"""Values and rules of accounts and tokens: roles, emails, names, claims, refresh-token policy."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, get_args

from tiketi.services.auth.domain.errors import InvalidField

Role = Literal["customer", "organizer", "staff", "admin"]
ROLES: Final[tuple[str, ...]] = get_args(Role)
DEFAULT_ROLE: Final[Role] = "customer"

NAME_MAX_LENGTH: Final = 100
EMAIL_MAX_LENGTH: Final = 254
ACCESS_TOKEN_TYPE: Final = "access"  # noqa: S105 - the `typ` claim, not a secret
# 32 random bytes: guessing a live refresh token is out of reach.
REFRESH_TOKEN_BYTES: Final = 32


def is_role(value: str) -> bool:
    """True for one of the four roles."""
    return value in ROLES


def normalise_email(raw: str) -> str:
    """The one spelling an email is stored, compared and rate-limited under."""
    return raw.strip().lower()


def clean_name(raw: str) -> str:
    """A display name stripped of surrounding space, 1–100 characters."""
    name = raw.strip()
    if not name:
        raise InvalidField("name", "The name may not be empty.")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidField("name", f"The name may be at most {NAME_MAX_LENGTH} characters.")
    return name


def fallback_name(name: str | None, email: str) -> str:
    """A usable display name when a provider gives none (or one that is too long)."""
    candidate = (name or "").strip() or email.split("@", 1)[0].strip() or "Tiketi user"
    return candidate[:NAME_MAX_LENGTH]


@dataclass(frozen=True)
class GoogleIdentity:
    """What a verified Google ID token says about the person."""

    subject: str
    email: str
    email_verified: bool
    name: str | None = None


def access_claims(
    *,
    user_id: str,
    role: str,
    email: str,
    issuer: str,
    audience: str,
    issued_at: datetime,
    lifetime: timedelta,
) -> dict[str, Any]:
    """The claims of an access token, as the kernel's TokenVerifier expects them."""
    return {
        "sub": user_id,
        "role": role,
        "email": email,
        "typ": ACCESS_TOKEN_TYPE,
        "iss": issuer,
        "aud": audience,
        "iat": int(issued_at.timestamp()),
        "exp": int((issued_at + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }


def new_refresh_token() -> str:
    """An opaque, unguessable refresh token (only its hash is ever stored)."""
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def hash_refresh_token(token: str) -> str:
    """SHA-256 hex of a refresh token: a database leak does not leak usable tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_reuse(*, used_at: datetime | None, expires_at: datetime, now: datetime) -> bool:
    """A spent token presented again while it would still be live signals theft."""
    return used_at is not None and expires_at > now

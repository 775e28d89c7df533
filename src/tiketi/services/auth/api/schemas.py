"""Request and response bodies of /api/v1/auth (API.md's Auth table)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from tiketi.services.auth.domain.models import NAME_MAX_LENGTH, Role, normalise_email
from tiketi.services.auth.domain.passwords import password_problem


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _password_policy(value: str) -> str:
    problem = password_problem(value)
    if problem is not None:
        raise PydanticCustomError("password_policy", problem)
    return value


# Validated as an address, then kept in its one normalised spelling.
Email = Annotated[EmailStr, BeforeValidator(_strip), AfterValidator(normalise_email)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH)
]
NewPassword = Annotated[str, AfterValidator(_password_policy)]
# Wrong passwords are never refused by rule, only by comparison; the bound stops huge bodies.
GivenPassword = Annotated[str, Field(min_length=1, max_length=1024)]
OpaqueToken = Annotated[str, Field(min_length=1, max_length=512)]


class UserCreate(BaseModel):
    """Sign-up with email and password."""

    email: Email
    password: NewPassword = Field(
        description="10–128 characters, not one of the most common passwords, not the email."
    )
    name: Name


class Credentials(BaseModel):
    """Sign-in with email and password."""

    email: Email
    password: GivenPassword


class RefreshTokenBody(BaseModel):
    """A refresh token to spend (refresh) or revoke (logout)."""

    refresh_token: OpaqueToken


class GoogleSignIn(BaseModel):
    """A Google ID token from Google Identity Services."""

    id_token: Annotated[str, Field(min_length=1, max_length=8192)]


class RoleUpdate(BaseModel):
    """The role to give a user."""

    role: Role


class UserRead(BaseModel):
    """A user as API.md shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    role: Role


class ProfileRead(UserRead):
    """The caller's own account."""

    created_at: datetime


class SessionRead(BaseModel):
    """A signed-in session: the user and a token pair."""

    user: UserRead
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth scheme name
    expires_in: int = Field(description="Seconds until the access token expires.")


class JwksRead(BaseModel):
    """The public keys that verify access tokens (RFC 7517)."""

    keys: list[dict[str, str]]


class ErrorDetail(BaseModel):
    """The inside of every error body."""

    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorRead(BaseModel):
    """`{"error": {"code", "message", "details"}}`, as every failure answers."""

    error: ErrorDetail

"""Auth failures with the stable codes API.md and clients rely on."""

from __future__ import annotations

from tiketi.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)


class EmailTaken(Conflict):
    """An account with this email already exists."""

    code = "EMAIL_TAKEN"
    message = "An account with this email already exists."


class InvalidCredentials(Unauthorized):
    """Unknown email or wrong password: one answer for both, so emails cannot be probed."""

    code = "INVALID_CREDENTIALS"
    message = "The email or password is not correct."


class InvalidRefreshToken(Unauthorized):
    """The refresh token is unknown, expired or revoked."""

    code = "INVALID_REFRESH_TOKEN"
    message = "The refresh token is not valid; sign in again."


class TokenReused(Unauthorized):
    """A spent refresh token came back: its whole family is now revoked."""

    code = "TOKEN_REUSED"
    message = "This refresh token was already used; every session it started is signed out."


class InvalidGoogleToken(Unauthorized):
    """The Google ID token failed verification."""

    code = "INVALID_GOOGLE_TOKEN"
    message = "The Google ID token is not valid."


class GoogleNotConfigured(DomainError):
    """Google sign-in is off because no client id is configured."""

    code = "GOOGLE_NOT_CONFIGURED"
    status = 503
    message = "Google sign-in is not configured on this server."


class GoogleEmailUnverified(Forbidden):
    """Google has not verified the email, so it may not claim or create an account."""

    code = "GOOGLE_EMAIL_UNVERIFIED"
    message = "Google has not verified this email address; verify it with Google first."


class GoogleAccountMismatch(Conflict):
    """The account with this email is already linked to a different Google account."""

    code = "GOOGLE_ACCOUNT_MISMATCH"
    message = "This email's account is linked to a different Google account."


class UserNotFound(NotFound):
    """No user has this id."""

    code = "USER_NOT_FOUND"
    message = "No such user."


class OwnRoleChange(Conflict):
    """Admins may not change their own role, so the last admin cannot lock everyone out."""

    code = "OWN_ROLE_CHANGE"
    message = "You cannot change your own role; ask another admin."


class InvalidField(ValidationFailed):
    """One field broke a rule; details name it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(details={field: problem})

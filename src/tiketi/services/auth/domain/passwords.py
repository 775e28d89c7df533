"""The password policy: length bounds, not a common password, not the email itself."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Final

from tiketi.services.auth.domain.errors import InvalidField

MIN_LENGTH: Final = 10
# Long enough for any passphrase; short enough that hashing cannot be used to burn CPU.
MAX_LENGTH: Final = 128


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of the most common passwords, lower-cased."""
    text = (
        resources.files("tiketi.services.auth.domain")
        .joinpath("common_passwords.txt")
        .read_text("utf-8")
    )
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def is_common(password: str) -> bool:
    """True when the password is on the common list, ignoring case."""
    return password.lower() in common_passwords()


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why a password is refused, for people; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"The password must be at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"The password may be at most {MAX_LENGTH} characters."
    if is_common(password):
        return "This password is too common; choose one that is harder to guess."
    if email and password.lower() in {email.lower(), email.split("@", 1)[0].lower()}:
        return "The password may not be your email address."
    return None


def check_password(password: str, *, email: str | None = None) -> None:
    """Raise 422 VALIDATION_ERROR naming the password field when the policy refuses it."""
    problem = password_problem(password, email=email)
    if problem is not None:
        raise InvalidField("password", problem)

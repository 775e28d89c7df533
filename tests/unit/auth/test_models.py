"""Emails, names, roles, token claims and the refresh-token rules, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tiketi.kernel.errors import ValidationFailed
from tiketi.services.auth.domain.models import (
    ROLES,
    access_claims,
    clean_name,
    fallback_name,
    hash_refresh_token,
    is_reuse,
    is_role,
    new_refresh_token,
    normalise_email,
)


def test_emails_are_stripped_and_lower_cased() -> None:
    assert normalise_email("  Mixed.Case@Example.COM \n") == "mixed.case@example.com"


def test_names_are_stripped_and_bounded() -> None:
    assert clean_name("  Kim Minji  ") == "Kim Minji"
    assert clean_name("x" * 100) == "x" * 100
    with pytest.raises(ValidationFailed) as empty:
        clean_name("   ")
    with pytest.raises(ValidationFailed) as long:
        clean_name("x" * 101)
    assert set(empty.value.details) == {"name"}
    assert set(long.value.details) == {"name"}


def test_fallback_name_uses_the_email_when_the_provider_gives_none() -> None:
    assert fallback_name(None, "jiwoo@example.com") == "jiwoo"
    assert fallback_name("  ", "jiwoo@example.com") == "jiwoo"
    assert fallback_name("Ji Woo", "jiwoo@example.com") == "Ji Woo"
    assert len(fallback_name("y" * 300, "a@example.com")) == 100


def test_roles() -> None:
    assert ROLES == ("customer", "organizer", "staff", "admin")
    assert is_role("staff")
    assert not is_role("root")


def test_access_claims_carry_what_the_kernel_verifier_requires() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    claims = access_claims(
        user_id="u-1",
        role="customer",
        email="a@example.com",
        issuer="tiketi",
        audience="tiketi-api",
        issued_at=now,
        lifetime=timedelta(minutes=15),
    )

    assert claims["sub"] == "u-1"
    assert claims["typ"] == "access"
    assert (claims["iss"], claims["aud"]) == ("tiketi", "tiketi-api")
    assert claims["exp"] - claims["iat"] == 900
    assert claims["iat"] == int(now.timestamp())
    assert len(claims["jti"]) == 32
    second = access_claims(
        user_id="u-1",
        role="customer",
        email="a@example.com",
        issuer="tiketi",
        audience="tiketi-api",
        issued_at=now,
        lifetime=timedelta(minutes=15),
    )
    assert second["jti"] != claims["jti"]


def test_refresh_tokens_are_random_and_only_their_hash_is_kept() -> None:
    tokens = {new_refresh_token() for _ in range(100)}

    assert len(tokens) == 100
    token = tokens.pop()
    assert len(token) >= 43
    digest = hash_refresh_token(token)
    assert len(digest) == 64 and digest != token
    assert hash_refresh_token(token) == digest


def test_reuse_is_a_spent_token_that_would_still_be_live() -> None:
    now = datetime.now(UTC)
    later = now + timedelta(days=1)

    assert is_reuse(used_at=now, expires_at=later, now=now)
    assert not is_reuse(used_at=None, expires_at=later, now=now)
    assert not is_reuse(
        used_at=now - timedelta(days=2), expires_at=now - timedelta(days=1), now=now
    )

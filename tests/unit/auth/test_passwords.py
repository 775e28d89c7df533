"""The password policy and the shipped common-password list."""

from __future__ import annotations

import pytest

from tiketi.kernel.errors import ValidationFailed
from tiketi.services.auth.domain.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    check_password,
    common_passwords,
    is_common,
    password_problem,
)


def test_the_common_list_holds_a_thousand_real_passwords() -> None:
    words = common_passwords()

    assert len(words) == 1000
    for known in ("password123", "1234567890", "qwertyuiop", "iloveyou", "123456"):
        assert known in words
    assert all(word == word.lower() and word.strip() == word for word in words)
    assert not any(word.startswith("#") for word in words)


@pytest.mark.parametrize("password", ["password123", "PassWord123", "QWERTYUIOP", "1234567890"])
def test_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    assert is_common(password)
    problem = password_problem(password)
    assert problem is not None and "common" in problem


def test_length_bounds() -> None:
    assert password_problem("Zq8!vR2#p") is not None  # 9 characters
    assert password_problem("Zq8!vR2#pL") is None  # exactly 10
    assert password_problem(("Zq8!vR2#pL" * 13)[:MAX_LENGTH]) is None  # exactly 128
    assert password_problem(("Zq8!vR2#pL" * 13)[: MAX_LENGTH + 1]) is not None


def test_too_short_and_too_long_say_which() -> None:
    short = password_problem("Zq8!vR2#")
    long = password_problem("Zq8!vR2#pL" * 20)

    assert short is not None and str(MIN_LENGTH) in short
    assert long is not None and str(MAX_LENGTH) in long


def test_the_email_itself_is_refused() -> None:
    assert password_problem("someone.long@example.com", email="someone.long@example.com")
    assert password_problem("Someone.Long", email="someone.long@example.com")
    assert password_problem("Someone.Long", email=None) is None


def test_check_password_raises_a_422_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_password("short")

    assert caught.value.status == 422
    assert caught.value.code == "VALIDATION_ERROR"
    assert set(caught.value.details) == {"password"}


def test_a_good_passphrase_passes() -> None:
    check_password("correct horse battery staple", email="rider@example.com")

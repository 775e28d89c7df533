"""Request bodies: normalised emails, stripped names, the password policy per field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tiketi.services.auth.api.schemas import Credentials, RoleUpdate, UserCreate


def fields(exc: ValidationError) -> dict[str, str]:
    return {".".join(str(p) for p in err["loc"]): err["msg"] for err in exc.errors()}


def test_sign_up_normalises_email_and_name() -> None:
    body = UserCreate(email="  Fan.One@Example.COM ", password="a long enough pass", name="  Fan  ")

    assert body.email == "fan.one@example.com"
    assert body.name == "Fan"
    assert body.password == "a long enough pass"


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        UserCreate(email="not-an-email", password="short", name="   ")

    errors = fields(caught.value)
    assert set(errors) == {"email", "password", "name"}
    assert "at least 10" in errors["password"]


@pytest.mark.parametrize("password", ["Password123", "qwertyuiop", "1234567890"])
def test_common_passwords_are_refused_with_a_message_for_people(password: str) -> None:
    with pytest.raises(ValidationError) as caught:
        UserCreate(email="a@example.com", password=password, name="A")

    assert "too common" in fields(caught.value)["password"]


def test_name_length_is_bounded() -> None:
    UserCreate(email="a@example.com", password="a long enough pass", name="n" * 100)
    with pytest.raises(ValidationError):
        UserCreate(email="a@example.com", password="a long enough pass", name="n" * 101)


def test_sign_in_accepts_any_non_empty_password() -> None:
    body = Credentials(email="A@Example.com", password="x")

    assert body.email == "a@example.com"


def test_roles_are_the_four_of_api_md() -> None:
    assert RoleUpdate(role="staff").role == "staff"
    with pytest.raises(ValidationError):
        RoleUpdate(role="root")

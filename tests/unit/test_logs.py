"""No password or token ever reaches a log line."""

from __future__ import annotations

from tiketi.kernel.logs import redact

JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl"


def test_secret_keys_are_redacted() -> None:
    event = redact(
        None,
        "info",
        {"event": "login", "password": "hunter2hunter2", "refresh_token": "abc", "email": "a@b"},
    )
    assert event["password"] == "[redacted]"
    assert event["refresh_token"] == "[redacted]"
    assert event["email"] == "a@b"


def test_tokens_inside_strings_are_redacted() -> None:
    event = redact(None, "info", {"event": "x", "header": f"Bearer {JWT}", "note": f"t={JWT}"})
    assert JWT not in event["header"] and JWT not in event["note"]

"""Order ids TossPayments accepts, and admission tokens bound to user and event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tiketi.contracts.admission import (
    AdmissionInvalid,
    issue_admission_token,
    verify_admission_token,
)
from tiketi.services.booking.domain.orders import is_order_id, new_order_id

KEY = "k" * 32


def test_order_ids_are_toss_order_ids_and_unique() -> None:
    ids = {new_order_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(is_order_id(i) and i.startswith("R") and len(i) == 21 for i in ids)
    assert not is_order_id("short") and not is_order_id("has space 123")


def test_admission_token_round_trip() -> None:
    token = issue_admission_token(
        key=KEY, user_id="u1", event_id="e1", ttl=timedelta(minutes=5), jti="42"
    )
    admission = verify_admission_token(token, key=KEY, user_id="u1", event_id="e1")
    assert admission.expires_at > datetime.now(UTC)
    assert admission.jti == "42"


@pytest.mark.parametrize(
    ("key", "user", "event", "ttl"),
    [
        ("x" * 32, "u1", "e1", timedelta(minutes=5)),  # wrong key
        (KEY, "u2", "e1", timedelta(minutes=5)),  # another user
        (KEY, "u1", "e2", timedelta(minutes=5)),  # another event
        (KEY, "u1", "e1", timedelta(seconds=-5)),  # expired
    ],
)
def test_admission_token_refused(key: str, user: str, event: str, ttl: timedelta) -> None:
    token = issue_admission_token(
        key=KEY if key == KEY else key, user_id="u1", event_id="e1", ttl=ttl
    )
    with pytest.raises(AdmissionInvalid):
        verify_admission_token(token, key=KEY, user_id=user, event_id=event)


def test_admission_missing_or_wrong_type() -> None:
    with pytest.raises(AdmissionInvalid):
        verify_admission_token(None, key=KEY, user_id="u1", event_id="e1")
    import jwt

    other = jwt.encode({"sub": "u1", "evt": "e1", "typ": "access", "exp": 2**40}, KEY)
    with pytest.raises(AdmissionInvalid):
        verify_admission_token(other, key=KEY, user_id="u1", event_id="e1")

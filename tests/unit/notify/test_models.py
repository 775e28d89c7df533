"""Notify's rules without I/O: locales, back-off, Message-IDs, money and times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tiketi.services.notify.domain.models import (
    choose_locale,
    format_money,
    format_time,
    is_final,
    message_id,
    retry_delay,
    sender_domain,
)


@pytest.mark.parametrize(
    ("locale", "language"),
    [("ko", "ko"), ("ko-KR", "ko"), ("en", "en"), ("en_US", "en"), ("EN-gb", "en"),
     ("fr", "ko"), ("", "ko"), (None, "ko")],
)  # fmt: skip
def test_locale_picks_a_template_language_korean_by_default(
    locale: str | None, language: str
) -> None:
    assert choose_locale(locale) == language


def test_retries_back_off_doubling_up_to_the_cap() -> None:
    delays = [retry_delay(n, base=30, cap=600).total_seconds() for n in range(1, 8)]
    assert delays == [30, 60, 120, 240, 480, 600, 600]
    assert retry_delay(10_000, base=30, cap=3600) == timedelta(seconds=3600)
    assert retry_delay(3, base=0, cap=60) == timedelta(0)


def test_the_last_attempt_is_final() -> None:
    assert [is_final(n, 3) for n in (1, 2, 3, 4)] == [False, False, True, True]


def test_message_id_is_fixed_by_the_emails_key() -> None:
    source, user = uuid.uuid4(), uuid.uuid4()
    first = message_id(source, user, "tiketi.kr")
    assert first == message_id(source, user, "tiketi.kr")
    assert first != message_id(source, uuid.uuid4(), "tiketi.kr")
    assert first.startswith("<") and first.endswith("@tiketi.kr>")


def test_sender_domain() -> None:
    assert sender_domain("Tiketi <no-reply@tiketi.kr>") == "tiketi.kr"
    assert sender_domain("ops@example.com") == "example.com"
    assert sender_domain("nobody") == "tiketi.local"


def test_money_and_time_read_naturally_in_each_language() -> None:
    assert format_money(165000, "ko") == "165,000원"
    assert format_money(165000, "en") == "₩165,000"
    moment = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    assert format_time(moment, "ko", "Asia/Seoul") == "2026년 12월 24일 (목) 19:00 KST"
    assert format_time(moment, "en", "Asia/Seoul") == "Thu, 24 Dec 2026 19:00 KST"

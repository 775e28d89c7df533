"""What notify sends and how it retries: kinds, states, locales, backoff, formatting. No I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class EmailKind(StrEnum):
    """The emails notify writes; each has a template per locale."""

    RESERVATION_CONFIRMED = "reservation_confirmed"
    RESERVATION_CANCELED = "reservation_canceled"
    PAYMENT_REFUNDED = "payment_refunded"
    EVENT_CANCELED = "event_canceled"


class EmailState(StrEnum):
    """pending → sending → sent; a failure goes back to pending until attempts run out (dead).
    `skipped`: nothing left to say (the tickets of a confirmation were voided before it went)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    SKIPPED = "skipped"


LOCALES = ("ko", "en")
DEFAULT_LOCALE = "ko"


def choose_locale(locale: str | None) -> str:
    """The template language for a user's locale ("en-US" → "en"); Korean when unknown."""
    if not locale:
        return DEFAULT_LOCALE
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


def retry_delay(attempts: int, *, base: float, cap: float) -> timedelta:
    """How long to wait after the `attempts`-th failure: base, 2·base, 4·base… up to cap."""
    exponent = max(0, attempts - 1)
    seconds = cap if exponent >= 32 else min(cap, base * (2**exponent))
    return timedelta(seconds=seconds)


def is_final(attempts: int, max_attempts: int) -> bool:
    """True when a failure after `attempts` tries dead-letters the email."""
    return attempts >= max_attempts


def message_id(source_event_id: uuid.UUID, user_id: uuid.UUID, domain: str) -> str:
    """A Message-ID fixed by the email's key, so a resend (the crash window between the SMTP
    server's acceptance and our mark) carries the same id and can be deduplicated."""
    key = uuid.uuid5(source_event_id, str(user_id))
    return f"<{key}@{domain}>"


def sender_domain(mail_from: str) -> str:
    """The domain of a From address ("Tiketi <no-reply@tiketi.kr>" → "tiketi.kr")."""
    address = mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rsplit("@", 1)[-1] if "@" in address else "tiketi.local"


def format_money(amount: int, locale: str) -> str:
    """KRW as people read it: "165,000원" in Korean, "₩165,000" in English."""
    return f"{amount:,}원" if locale == "ko" else f"₩{amount:,}"


_WEEKDAYS_KO = "월화수목금토일"


def format_time(moment: datetime, locale: str, zone: str) -> str:
    """An event's start in the venue's zone: "2026년 12월 24일 (목) 19:00 KST" / English."""
    local = moment.astimezone(ZoneInfo(zone))
    label = local.tzname() or zone
    if locale == "ko":
        weekday = _WEEKDAYS_KO[local.weekday()]
        return f"{local.year}년 {local.month}월 {local.day}일 ({weekday}) {local:%H:%M} {label}"
    return f"{local:%a, %d %b %Y %H:%M} {label}"


@dataclass(frozen=True)
class Recipient:
    """Whom an email goes to, as auth announced them."""

    user_id: str
    email: str
    name: str
    locale: str


@dataclass(frozen=True)
class EventInfo:
    """What an email says about the concert or match."""

    event_id: str
    title: str
    venue_name: str | None
    starts_at: datetime | None
    canceled: bool = False
    cancel_reason: str | None = None


@dataclass(frozen=True)
class Rendered:
    """An email's subject and its two bodies, and the inline images the HTML refers to."""

    subject: str
    text: str
    html: str
    # content id (without brackets) → PNG bytes
    images: dict[str, bytes]

"""sale_state and availability are computed from the clock and booking's counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tiketi.services.catalog.domain.sales import grade_availability, sale_state

OPENS = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
CLOSES = OPENS + timedelta(days=10)


@pytest.mark.parametrize(
    ("status", "now", "available", "expected"),
    [
        ("published", OPENS - timedelta(seconds=1), 10, "upcoming"),
        ("published", OPENS, 10, "on_sale"),
        ("published", CLOSES - timedelta(seconds=1), 1, "on_sale"),
        ("published", OPENS + timedelta(days=1), 0, "sold_out"),
        ("published", CLOSES, 10, "closed"),
        ("published", CLOSES, 0, "closed"),
        ("published", OPENS - timedelta(days=1), 0, "upcoming"),
        ("draft", OPENS + timedelta(days=1), 10, "upcoming"),
        ("draft", CLOSES + timedelta(days=1), 10, "closed"),
        ("canceled", OPENS + timedelta(days=1), 10, "closed"),
    ],
)
def test_sale_state(status: str, now: datetime, available: int, expected: str) -> None:
    assert (
        sale_state(
            status=status,  # type: ignore[arg-type]
            sale_opens_at=OPENS,
            sale_closes_at=CLOSES,
            available=available,
            now=now,
        )
        == expected
    )


def test_availability_is_every_seat_until_booking_reports() -> None:
    totals = {"VIP": 100, "R": 50}

    assert grade_availability(totals, None) == {"VIP": 100, "R": 50}
    assert grade_availability(totals, {"VIP": 3}) == {"VIP": 3, "R": 50}
    # A report is clamped to what the grade has: a bad count never shows more than exists.
    assert grade_availability(totals, {"VIP": 500, "R": -2}) == {"VIP": 100, "R": 0}

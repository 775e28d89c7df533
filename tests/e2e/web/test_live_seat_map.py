"""Two browsers on one seat map: a hold in one shows in the other, live (Socket.IO)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import Served
from tests.e2e.web.support import Account, PageErrors, create_event, new_page, sign_up

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

# What the issue asks: another fan's hold is on screen within a second. The wait allows for a
# loaded CI machine; what is awaited is the DOM change itself, never a fixed sleep.
WITHIN_MS = 5_000


def test_a_hold_in_one_browser_appears_in_the_other(
    platform: Served, organizer: Account, browser: Any, shots: Path
) -> None:
    event_id = create_event(platform.url, organizer)
    pages = [new_page(browser, platform.url, sign_up(platform.url, f"fan{i}")) for i in (1, 2)]
    errors = [PageErrors(page) for page in pages]
    for page in pages:
        page.goto(f"/events/{event_id}/seats")
        page.locator("svg circle[data-status=available]").first.wait_for()
        page.get_by_test_id("live").filter(has_text="실시간").wait_for()
    first, second = pages
    seat = first.locator("svg circle[data-status=available]").nth(3)
    seat_id = seat.get_attribute("data-seat-id")
    second_seat = second.locator(f"svg circle[data-seat-id='{seat_id}']")
    assert second_seat.get_attribute("data-status") == "available"

    seat.click()
    first.get_by_role("button", name="선택한 좌석 잡기").click()
    first.get_by_test_id("hold").wait_for()
    second.locator(f"svg circle[data-seat-id='{seat_id}'][data-status=held]").wait_for(
        timeout=WITHIN_MS
    )
    assert second_seat.get_attribute("aria-disabled") == "true"
    first.screenshot(path=shots / "01-holder.png")
    second.screenshot(path=shots / "02-watcher.png")

    # Releasing it frees it on the other screen too.
    first.get_by_role("button", name="좌석 해제").click()
    second.locator(f"svg circle[data-seat-id='{seat_id}'][data-status=available]").wait_for(
        timeout=WITHIN_MS
    )
    for page, page_errors in zip(pages, errors, strict=True):
        page_errors.check()
        page.context.close()

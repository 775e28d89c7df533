"""Staff at the gate in Chromium: a ticket checks in once (green), then "already checked in"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import Served
from tests.e2e.web.support import (
    Account,
    PageErrors,
    buy,
    create_event,
    new_page,
    sign_up,
    wait_for_seats,
    with_role,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def test_staff_checks_a_ticket_in_twice(
    platform: Served, admin: Account, organizer: Account, browser: Any, shots: Path
) -> None:
    event_id = create_event(platform.url, organizer)
    seats = wait_for_seats(platform.url, event_id)
    tickets = buy(platform.url, sign_up(platform.url, "holder"), event_id, [seats[0]["id"]])
    staff = with_role(platform.url, admin, sign_up(platform.url, "staff"), "staff")

    page = new_page(browser, platform.url, staff, viewport={"width": 412, "height": 860})
    errors = PageErrors(page)
    page.goto("/staff/checkin")
    token = page.locator("input[name=qr_token]")

    token.fill(tickets[0]["qr_token"])
    page.get_by_role("button", name="입장 확인").click()
    verdict = page.get_by_test_id("verdict")
    verdict.and_(page.locator("[data-verdict=ok]")).wait_for()
    assert "입장 완료" in verdict.inner_text()
    page.screenshot(path=shots / "01-checked-in.png")

    token.fill(tickets[0]["qr_token"])
    page.get_by_role("button", name="입장 확인").click()
    page.locator("[data-testid=verdict][data-verdict=already]").wait_for()
    assert "이미 입장한 티켓" in verdict.inner_text()
    page.screenshot(path=shots / "02-already.png")

    token.fill(tickets[0]["qr_token"][:-4] + "AAAA")
    page.get_by_role("button", name="입장 확인").click()
    page.locator("[data-testid=verdict][data-verdict=refused]").wait_for()
    page.screenshot(path=shots / "03-forged.png")
    errors.check()
    page.context.close()

"""The fan's whole journey in Chromium: sign-up → waiting room → seat map → sandbox payment →
QR tickets on screen → cancel with a refund."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.support import Served
from tests.e2e.web.support import PASSWORD, Account, PageErrors, create_event, new_page

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_sign_up_queue_seats_pay_and_see_the_qr_tickets(
    platform: Served, organizer: Account, browser: Any, shots: Path
) -> None:
    event_id = create_event(platform.url, organizer, queue=True, title="웹 여정 콘서트")
    page = new_page(browser, platform.url)
    errors = PageErrors(page)

    # The event page: grades, prices, availability, sale state.
    page.goto(f"/events/{event_id}")
    page.get_by_role("heading", name="웹 여정 콘서트").wait_for()
    assert page.get_by_test_id("sale-state").inner_text() == "판매 중"
    assert page.get_by_test_id("available-VIP").inner_text() == "24 / 24"
    page.screenshot(path=shots / "01-event.png", full_page=True)

    # Booking needs an account: sign up on the way, and come back to the waiting room.
    page.get_by_role("button", name="예매하기").click()
    page.wait_for_url(re.compile(r"/login\?next="))
    page.get_by_role("tab", name="회원가입").click()
    page.fill("input[name=name]", "웹 팬")
    page.fill("input[name=email]", "web-fan-" + event_id[:8] + "@example.com")
    page.fill("input[name=password]", "short")
    page.locator("form button[type=submit]").click()
    page.get_by_text("비밀번호는 10~128자여야 합니다.").wait_for()
    page.fill("input[name=password]", PASSWORD)
    page.screenshot(path=shots / "02-sign-up.png")
    page.locator("form button[type=submit]").click()

    # The waiting room solves the proof of work in a Web Worker, joins, and is let in.
    page.wait_for_url(f"**/events/{event_id}/seats", timeout=60_000)
    session = json.loads(page.evaluate("localStorage.getItem('tiketi.session')"))
    headers = {"Authorization": f"Bearer {session['accessToken']}"}
    place = httpx.get(f"{platform.url}/api/v1/queue/{event_id}/status", headers=headers).json()
    assert place["status"] == "admitted", place

    # The seat map: pick two seats, hold them, see the countdown.
    page.locator("svg circle[data-status=available]").first.wait_for()
    page.get_by_test_id("live").filter(has_text="실시간").wait_for()
    seats = page.locator("svg circle[data-status=available]")
    seats.nth(0).click()
    seats.nth(1).click()
    page.get_by_role("heading", name="4매 중 2매 선택").wait_for()
    page.screenshot(path=shots / "03-seats-selected.png")
    page.get_by_role("button", name="선택한 좌석 잡기").click()
    hold = page.get_by_test_id("hold")
    hold.wait_for()
    assert page.locator("svg circle[data-status=mine]").count() == 2
    assert int(hold.get_by_role("timer").get_attribute("data-seconds") or 0) > 60
    page.screenshot(path=shots / "04-hold.png")

    # Checkout → the sandbox's payment window → back to the success page with the tickets.
    page.get_by_role("button", name="결제하기").click()
    page.wait_for_url("**/checkout/*")
    page.get_by_role("heading", name="결제").wait_for()
    page.screenshot(path=shots / "05-checkout.png")
    page.get_by_role("button", name=re.compile("결제$")).click()
    page.wait_for_url("**/sandbox/toss/widget?**")
    page.screenshot(path=shots / "06-sandbox.png")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/payments/success?**")
    tickets = page.get_by_test_id("ticket")
    tickets.first.locator("img.qr").wait_for()
    assert tickets.count() == 2
    page.wait_for_function(
        "[...document.querySelectorAll('img.qr')].length === 2 && "
        "[...document.querySelectorAll('img.qr')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.screenshot(path=shots / "07-tickets.png", full_page=True)

    # My tickets: the QR codes are there after a reload; cancel → refunded.
    page.goto("/me/tickets")
    card = page.get_by_test_id("reservation").first
    card.locator("img.qr").first.wait_for()
    assert card.get_attribute("data-status") == "confirmed"
    page.screenshot(path=shots / "08-my-tickets.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="취소하고 환불받기").click()
    page.locator("[data-testid=reservation][data-status=refunded]").wait_for(timeout=60_000)
    page.screenshot(path=shots / "09-refunded.png", full_page=True)
    errors.check()
    page.context.close()

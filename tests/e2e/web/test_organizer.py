"""The organizer in Chromium: a venue with the layout editor, an event with a poster, publish,
and the live dashboard counting a fan's purchase."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.support import Served
from tests.e2e.web.support import (
    Account,
    PageErrors,
    buy,
    new_page,
    poster_png,
    sign_up,
    wait_for_seats,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_organizer_creates_a_venue_and_an_event_publishes_it_and_watches_a_sale(
    platform: Served, organizer: Account, browser: Any, shots: Path, tmp_path: Path
) -> None:
    page = new_page(browser, platform.url, organizer)
    errors = PageErrors(page)
    page.goto("/organizer")
    page.get_by_role("heading", name="주최자").wait_for()

    # The layout editor: two sections, previewed as a map before anything is sent.
    page.get_by_role("link", name="새 공연장").click()
    page.fill("input[name=venue-name]", "브라우저 홀")
    page.fill("input[name=venue-address]", "서울 송파구 올림픽로 424")
    page.fill("input[name=section-0-rows]", "4")
    page.fill("input[name=section-0-seats]", "6")
    page.get_by_role("button", name="구역 추가").click()
    page.fill("input[name=section-1-name]", "B")
    page.fill("input[name=section-1-rows]", "2")
    page.fill("input[name=section-1-seats]", "5")
    assert page.get_by_test_id("venue-total").inner_text() == "34"
    assert page.locator("svg circle").count() == 34
    page.screenshot(path=shots / "01-venue-editor.png", full_page=True)
    page.get_by_role("button", name="공연장 만들기").click()

    # The event form, with the new venue chosen: grades, section → grade, rules, poster.
    page.wait_for_url(re.compile(r"/organizer/events/new\?venue="))
    page.fill("input[name=title]", "주최자 테스트 공연")
    page.fill("textarea[name=description]", "브라우저로 만든 공연입니다.")
    page.locator("select[name=seat-grade-A]").select_option("R")
    page.get_by_role("button", name="초안 만들기").click()
    # The form mirrors the API's rules: B has no grade yet, S is sold nowhere.
    page.get_by_text("이 구역의 등급을 고르세요.").wait_for()
    page.locator("select[name=seat-grade-B]").select_option("S")
    page.uncheck("input[name=queue_enabled]")
    page.set_input_files("input[name=poster]", str(poster_png(tmp_path / "poster.png")))
    page.screenshot(path=shots / "02-event-form.png", full_page=True)
    page.get_by_role("button", name="초안 만들기").click()

    # The dashboard of the draft: publish it.
    page.wait_for_url(re.compile(r"/organizer/events/[0-9a-f-]{36}$"))
    event_id = page.url.rsplit("/", 1)[1]
    assert page.get_by_test_id("event-status").inner_text() == "초안"
    page.get_by_role("button", name="공개하기").click()
    page.get_by_test_id("event-status").filter(has_text="공개").wait_for()
    page.get_by_test_id("stat-available").filter(has_text="34").wait_for(timeout=30_000)
    page.screenshot(path=shots / "03-published.png", full_page=True)

    event = httpx.get(f"{platform.url}/api/v1/events/{event_id}", timeout=10).json()
    assert event["status"] == "published"
    assert event["image_url"], event
    assert {g["code"]: g["seat_count"] for g in event["grades"]} == {"R": 24, "S": 10}

    # A fan buys two seats; the dashboard counts them without a reload (stats:updated).
    seats = wait_for_seats(platform.url, event_id)
    buy(platform.url, sign_up(platform.url, "buyer"), event_id, [s["id"] for s in seats[:2]])
    page.get_by_test_id("stat-sold").filter(has_text="2").wait_for(timeout=30_000)
    # Revenue counts the payment (PaymentApproved), which may land a moment after the seats.
    page.get_by_test_id("stat-revenue").filter(has_text="₩220,000").wait_for(timeout=30_000)
    page.screenshot(path=shots / "04-dashboard.png", full_page=True)

    # The public page shows the poster.
    page.goto(f"/events/{event_id}")
    page.locator("img.event-poster").wait_for()
    page.wait_for_function("document.querySelector('img.event-poster').naturalWidth > 0")
    page.screenshot(path=shots / "05-public-page.png")

    # Cancel the event from its dashboard.
    page.goto(f"/organizer/events/{event_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="공연 취소").click()
    page.get_by_test_id("event-status").filter(has_text="취소됨").wait_for()
    errors.check()
    page.context.close()

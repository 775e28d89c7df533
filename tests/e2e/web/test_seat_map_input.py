"""The seat map without a mouse, in Chromium: the keyboard alone picks and holds seats, and a
two-finger pinch on a phone zooms the map (the vitest suite covers the same in jsdom only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import Served
from tests.e2e.web.support import Account, PageErrors, create_event, new_page, sign_up

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

FOCUSED_SEAT = "() => document.activeElement?.getAttribute('data-seat-id')"


def _focused(page: Any) -> str | None:
    seat: str | None = page.evaluate(FOCUSED_SEAT)
    return seat


def test_the_keyboard_alone_moves_selects_and_holds_seats(
    platform: Served, organizer: Account, browser: Any, shots: Path
) -> None:
    event_id = create_event(platform.url, organizer, sections=("A",), rows=2, per_row=6)
    page = new_page(browser, platform.url, sign_up(platform.url, "keys"))
    errors = PageErrors(page)
    page.goto(f"/events/{event_id}/seats")
    page.locator("svg circle[data-status=available]").first.wait_for()

    # Tab reaches the map as one stop: the first free seat.
    for _ in range(40):
        page.keyboard.press("Tab")
        if _focused(page) is not None:
            break
    first = _focused(page)
    assert first is not None, "Tab never reached the seat map"
    page.keyboard.press("ArrowRight")
    second = _focused(page)
    assert second is not None and second != first
    page.keyboard.press("End")
    row_end = _focused(page)
    assert row_end not in (None, first, second)
    page.keyboard.press("ArrowDown")
    below = _focused(page)
    assert below not in (None, row_end)

    seat = page.locator(f"svg circle[data-seat-id='{below}']")
    page.keyboard.press("Enter")
    assert seat.get_attribute("aria-checked") == "true"
    page.keyboard.press(" ")
    assert seat.get_attribute("aria-checked") == "false"
    page.keyboard.press("Enter")
    assert seat.get_attribute("aria-checked") == "true"
    page.screenshot(path=shots / "01-selected-by-keyboard.png")

    # On to the hold button, still without a mouse.
    hold = page.get_by_role("button", name="선택한 좌석 잡기")
    for _ in range(20):
        page.keyboard.press("Tab")
        if hold.evaluate("button => button === document.activeElement"):
            break
    page.keyboard.press("Enter")
    page.get_by_test_id("hold").wait_for()
    # The fan's own hold shows as theirs on the map.
    page.locator(f"svg circle[data-seat-id='{below}'][data-status=mine]").wait_for()
    page.screenshot(path=shots / "02-held.png")
    errors.check()
    page.context.close()


def test_a_two_finger_pinch_zooms_the_map_on_a_phone(
    platform: Served, organizer: Account, browser: Any, shots: Path
) -> None:
    event_id = create_event(platform.url, organizer)
    page = new_page(
        browser,
        platform.url,
        sign_up(platform.url, "pinch"),
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
    )
    errors = PageErrors(page)
    page.goto(f"/events/{event_id}/seats")
    page.locator("svg circle[data-status=available]").first.wait_for()
    svg = page.get_by_test_id("seatmap-scroll").locator("svg").first
    before = float(svg.get_attribute("width") or 0)
    box = page.get_by_test_id("seatmap-scroll").bounding_box()
    assert box is not None and before > 0
    page.screenshot(path=shots / "01-before-pinch.png")

    # Two fingers on the map, moving apart (Chrome DevTools Protocol touch events).
    cdp = page.context.new_cdp_session(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + min(box["height"], 300) / 2

    def fingers(spread: float) -> list[dict[str, float]]:
        return [{"x": cx - spread, "y": cy}, {"x": cx + spread, "y": cy}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": fingers(20)})
    for spread in range(30, 90, 10):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": fingers(spread)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    page.wait_for_function(
        "([el, before]) => Number(el.getAttribute('width')) > before * 1.5",
        arg=[svg.element_handle(), before],
    )
    after = float(svg.get_attribute("width") or 0)
    assert after > before * 1.5
    page.screenshot(path=shots / "02-after-pinch.png")
    # The map is zoomed, not the page: the document is as wide as the phone's screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1
    errors.check()
    page.context.close()

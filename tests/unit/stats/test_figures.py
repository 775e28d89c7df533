"""The figures' arithmetic: seats by state, occupancy, grades, the overview, the push pace."""

from __future__ import annotations

from datetime import UTC, datetime

from tiketi.services.stats.domain.figures import (
    Counts,
    EventSummary,
    Grade,
    MinuteSales,
    Queue,
    event_body,
    occupancy,
    overview_body,
    push_delay,
    seat_figures,
)


def test_occupancy_is_the_sold_share_and_zero_for_no_seats() -> None:
    assert occupancy(1, 3) == 0.3333
    assert occupancy(0, 0) == 0.0
    assert occupancy(5, 5) == 1.0


def test_available_is_what_is_neither_sold_nor_held_and_never_negative() -> None:
    assert seat_figures(10, 3, 2) == {"total": 10, "available": 5, "held": 2, "sold": 3}
    assert seat_figures(0, 1, 0)["available"] == 0


def test_event_body_lists_grades_in_order_and_drops_empty_minutes() -> None:
    minute = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    body = event_body(
        event_id="e",
        status="on_sale",
        total=30,
        grades=[Grade("R", "R석", 99000, 20), Grade("A", "A석", 50000, 10)],
        counts=Counts(sold=6, held=1, revenue=1, sold_by_grade={"R": 5, "A": 1},
                      held_by_grade={"R": 1}),
        queue=Queue(waiting=3),
        sales=[MinuteSales(minute, 6, 1), MinuteSales(minute, 0, 0)],
    )  # fmt: skip
    assert body["seats"] == {"total": 30, "available": 23, "held": 1, "sold": 6}
    assert [line["grade"] for line in body["by_grade"]] == ["A", "R"]
    assert body["by_grade"][1] == {
        "grade": "R", "name": "R석", "price": 99000, "total": 20, "available": 14, "held": 1,
        "sold": 5, "occupancy": 0.25,
    }  # fmt: skip
    assert body["queue"] == {"waiting": 3, "admitted_total": 0, "admit_per_second": 0.0}
    assert body["sales"] == [{"minute": minute.isoformat(), "tickets": 6, "revenue": 1}]


def test_overview_adds_every_event_up() -> None:
    body = overview_body(
        [
            EventSummary("a", "A", "on_sale", 10, Counts(sold=5, held=1, revenue=100)),
            EventSummary("b", "B", "canceled", 30, Counts(sold=0, held=0, revenue=0)),
        ]
    )
    assert body["events"] == 2 and body["on_sale"] == 1
    assert body["seats"] == {"total": 40, "available": 34, "held": 1, "sold": 5}
    assert body["revenue"] == 100 and body["occupancy"] == 0.125
    assert [line["event_id"] for line in body["by_event"]] == ["a", "b"]


def test_pushes_wait_for_the_rest_of_their_window() -> None:
    assert push_delay(None, 100.0, 1.0) == 0.0
    assert push_delay(99.5, 100.0, 1.0) == 0.5
    assert push_delay(90.0, 100.0, 1.0) == 0.0

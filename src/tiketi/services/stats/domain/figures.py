"""The figures of one event and the totals across events, from the projection's counts.

"held" means the seats of plain holds (SeatsHeld, until released or expired) and of
reservations awaiting payment; "sold" the seats of paid reservations never canceled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Grade:
    """A price class of an event, with its seat count."""

    code: str
    name: str
    price: int
    seat_count: int


@dataclass(frozen=True)
class Counts:
    """Seats sold and held, and net revenue, as the projection counted them."""

    sold: int = 0
    held: int = 0
    revenue: int = 0
    sold_by_grade: Mapping[str, int] = field(default_factory=dict)
    held_by_grade: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MinuteSales:
    """Tickets and revenue of one minute, net of cancellations and refunds in that minute."""

    minute: datetime
    tickets: int
    revenue: int


@dataclass(frozen=True)
class Queue:
    """The waiting room's figures (zeros when it keeps none for the event)."""

    waiting: int = 0
    admitted_total: int = 0
    admit_per_second: float = 0.0


def occupancy(sold: int, total: int) -> float:
    """The sold share of the seats, 0..1, rounded to 4 places (0 for an empty event)."""
    if total <= 0:
        return 0.0
    return round(sold / total, 4)


def seat_figures(total: int, sold: int, held: int) -> dict[str, int]:
    """{total, available, held, sold}; available never goes below zero."""
    return {"total": total, "available": max(0, total - sold - held), "held": held, "sold": sold}


def grade_figures(grades: Iterable[Grade], counts: Counts) -> list[dict[str, Any]]:
    """Per grade: its seats by state and its occupancy, in grade-code order."""
    rows = []
    for grade in sorted(grades, key=lambda g: g.code):
        sold = counts.sold_by_grade.get(grade.code, 0)
        held = counts.held_by_grade.get(grade.code, 0)
        rows.append(
            {
                "grade": grade.code,
                "name": grade.name,
                "price": grade.price,
                **seat_figures(grade.seat_count, sold, held),
                "occupancy": occupancy(sold, grade.seat_count),
            }
        )
    return rows


def event_body(
    *,
    event_id: str,
    status: str,
    total: int,
    grades: Iterable[Grade],
    counts: Counts,
    queue: Queue,
    sales: Iterable[MinuteSales],
) -> dict[str, Any]:
    """The body of GET /api/v1/stats/events/{id} (and of `stats:updated`)."""
    return {
        "event_id": event_id,
        "status": status,
        "seats": seat_figures(total, counts.sold, counts.held),
        "revenue": counts.revenue,
        "occupancy": occupancy(counts.sold, total),
        "by_grade": grade_figures(grades, counts),
        "queue": {
            "waiting": queue.waiting,
            "admitted_total": queue.admitted_total,
            "admit_per_second": queue.admit_per_second,
        },
        "sales": [
            {"minute": line.minute.isoformat(), "tickets": line.tickets, "revenue": line.revenue}
            for line in sales
            if line.tickets or line.revenue
        ],
    }


@dataclass(frozen=True)
class EventSummary:
    """One event's line in the overview."""

    event_id: str
    title: str
    status: str
    total: int
    counts: Counts


def overview_body(events: Iterable[EventSummary]) -> dict[str, Any]:
    """The body of GET /api/v1/stats/overview: totals, and one line per event."""
    lines = []
    total = sold = held = revenue = 0
    for event in events:
        total += event.total
        sold += event.counts.sold
        held += event.counts.held
        revenue += event.counts.revenue
        lines.append(
            {
                "event_id": event.event_id,
                "title": event.title,
                "status": event.status,
                "seats": seat_figures(event.total, event.counts.sold, event.counts.held),
                "revenue": event.counts.revenue,
                "occupancy": occupancy(event.counts.sold, event.total),
            }
        )
    return {
        "events": len(lines),
        "on_sale": sum(1 for line in lines if line["status"] != "canceled"),
        "seats": seat_figures(total, sold, held),
        "revenue": revenue,
        "occupancy": occupancy(sold, total),
        "by_event": lines,
    }


def push_delay(last_sent: float | None, now: float, interval: float) -> float:
    """Seconds to wait before the next push of an event so pushes are `interval` apart."""
    if last_sent is None:
        return 0.0
    return max(0.0, last_sent + interval - now)

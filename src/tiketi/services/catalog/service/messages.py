"""The integration events the catalog publishes, built from what the use cases hold."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tiketi.contracts.catalog import (
    EventCanceled,
    EventPublished,
    EventUpdated,
    GradeInfo,
    QueuePolicyInfo,
)
from tiketi.services.catalog.adapters.orm import Event, Venue
from tiketi.services.catalog.domain.events import EventSpec
from tiketi.services.catalog.domain.layout import LayoutSection


def _queue(spec: EventSpec) -> QueuePolicyInfo:
    return QueuePolicyInfo(
        enabled=spec.queue.enabled,
        max_active=spec.queue.max_active,
        admit_per_second=spec.queue.admit_per_second,
    )


def _seats(spec: EventSpec, layout: Sequence[LayoutSection]) -> list[dict[str, Any]]:
    """Plain dicts: validated with the message in one pass of pydantic-core, which is far
    faster for 100,000 seats than building (or even model_construct-ing) each model."""
    prices = {grade.code: grade.price for grade in spec.grades}
    seats: list[dict[str, Any]] = []
    for s_index, section in enumerate(layout):
        grade = spec.seat_grades[section.name]
        price = prices[grade]
        for r_index, row in enumerate(section.rows):
            seats.extend(
                {
                    "seat_id": seat_id,
                    "section": section.name,
                    "row": row.label,
                    "number": label,
                    "section_index": s_index,
                    "row_index": r_index,
                    "seat_index": position,
                    "grade": grade,
                    "price": price,
                }
                for position, (seat_id, label) in enumerate(
                    zip(row.seat_ids, row.seat_labels, strict=True)
                )
            )
    return seats


def event_published(
    *, event: Event, venue: Venue, spec: EventSpec, layout: Sequence[LayoutSection]
) -> EventPublished:
    """EventPublished: the sale's terms and every seat with its grade and price."""
    seats = _seats(spec, layout)
    per_grade = {grade.code: 0 for grade in spec.grades}
    for section in layout:
        per_grade[spec.seat_grades[section.name]] += section.seat_count
    return EventPublished.model_validate(
        {
            "event_id": str(event.id),
            "organizer_id": str(event.organizer_id),
            "title": spec.title,
            "venue_id": str(venue.id),
            "venue_name": venue.name,
            "starts_at": spec.starts_at,
            "ends_at": spec.ends_at,
            "sale_opens_at": spec.sale_opens_at,
            "sale_closes_at": spec.sale_closes_at,
            "max_tickets_per_user": spec.max_tickets_per_user,
            "queue": _queue(spec),
            "grades": [
                GradeInfo(code=g.code, name=g.name, price=g.price, seat_count=per_grade[g.code])
                for g in spec.grades
            ],
            "seat_count": len(seats),
            "seats": seats,
        }
    )


def event_updated(*, event: Event, spec: EventSpec, changed: Sequence[str]) -> EventUpdated:
    """EventUpdated: the current non-inventory terms of a published event."""
    return EventUpdated(
        event_id=str(event.id),
        organizer_id=str(event.organizer_id),
        title=spec.title,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        sale_opens_at=spec.sale_opens_at,
        sale_closes_at=spec.sale_closes_at,
        max_tickets_per_user=spec.max_tickets_per_user,
        queue=_queue(spec),
        image_url=event.image_url,
        changed=list(changed),
    )


def event_canceled(*, event: Event, reason: str | None, now: datetime) -> EventCanceled:
    """EventCanceled: booking stops the sale and refunds paid reservations."""
    return EventCanceled(
        event_id=str(event.id),
        organizer_id=str(event.organizer_id),
        title=event.title,
        reason=reason,
        canceled_at=now,
    )

"""Read documents: the JSON shapes events and venues are cached and served in.

They are plain dicts of JSON values so that Redis holds exactly what the API answers; the
API's schemas describe (and tests check) the same shapes. What depends on the clock or on
booking's counts (sale_state, availability) is added at read time by `present_event`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tiketi.services.catalog.domain.events import CURRENCY
from tiketi.services.catalog.domain.layout import LayoutSection
from tiketi.services.catalog.domain.sales import grade_availability, sale_state

Document = dict[str, Any]


def _iso(value: datetime | None) -> str | None:
    # UTC with "Z", as the API's pydantic-serialised answers write it.
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def event_document(row: Any) -> Document:
    """An event as cached: everything but what the clock and booking decide at read time."""
    event = row.Event
    grades = [
        {
            "code": g["code"],
            "name": g["name"],
            "price": int(g["price"]),
            "seat_count": int(g["seats"]),
        }
        for g in row.grades
    ]
    return {
        "id": str(event.id),
        "title": event.title,
        "description": event.description,
        "venue": {
            "id": str(event.venue_id),
            "name": row.venue_name,
            "address": row.venue_address,
            "seat_count": row.venue_seat_count,
        },
        "starts_at": _iso(event.starts_at),
        "ends_at": _iso(event.ends_at),
        "sale_opens_at": _iso(event.sale_opens_at),
        "sale_closes_at": _iso(event.sale_closes_at),
        "status": event.status,
        "currency": CURRENCY,
        "grades": grades,
        "seat_grades": dict(row.seat_grades),
        "max_tickets_per_user": event.max_tickets_per_user,
        "queue": {
            "enabled": event.queue_enabled,
            "max_active": event.queue_max_active,
            "admit_per_second": event.queue_admit_per_second,
        },
        "image_url": event.image_url,
        "organizer_id": str(event.organizer_id),
        "created_at": _iso(event.created_at),
        "updated_at": _iso(event.updated_at),
        "published_at": _iso(event.published_at),
        "canceled_at": _iso(event.canceled_at),
    }


def present_event(
    doc: Mapping[str, Any], reported: Mapping[str, int] | None, *, now: datetime
) -> Document:
    """The document as answered now: per-grade `available` and the computed `sale_state`."""
    totals = {grade["code"]: grade["seat_count"] for grade in doc["grades"]}
    available = grade_availability(totals, reported)
    state = sale_state(
        status=doc["status"],
        sale_opens_at=datetime.fromisoformat(doc["sale_opens_at"]),
        sale_closes_at=datetime.fromisoformat(doc["sale_closes_at"]),
        available=sum(available.values()),
        now=now,
    )
    grades = [{**grade, "available": available[grade["code"]]} for grade in doc["grades"]]
    return {**doc, "grades": grades, "sale_state": state, "available": sum(available.values())}


def venue_document(
    *,
    venue_id: uuid.UUID,
    name: str,
    address: str,
    created_at: datetime,
    sections: Sequence[LayoutSection],
) -> Document:
    """A venue with its layout and seat ids."""
    return {
        "id": str(venue_id),
        "name": name,
        "address": address,
        "seat_count": sum(section.seat_count for section in sections),
        "created_at": _iso(created_at),
        "sections": [
            {
                "name": section.name,
                "seat_count": section.seat_count,
                "rows": [
                    {
                        "label": row.label,
                        "seats": [
                            {"id": seat_id, "label": label}
                            for seat_id, label in zip(row.seat_ids, row.seat_labels, strict=True)
                        ],
                    }
                    for row in section.rows
                ],
            }
            for section in sections
        ],
    }


def venue_summary(venue: Any) -> Document:
    """A venue in a list: no layout."""
    return {
        "id": str(venue.id),
        "name": venue.name,
        "address": venue.address,
        "seat_count": venue.seat_count,
        "created_at": _iso(venue.created_at),
    }

"""Request bodies: offsets required, PATCH semantics; documents match the response schemas."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from tiketi.services.catalog.api.schemas import EventCreate, EventRead, EventSummary, EventUpdate
from tiketi.services.catalog.domain.errors import InvalidInput
from tiketi.services.catalog.domain.events import Grade, QueuePolicy
from tiketi.services.catalog.service.documents import event_document, present_event

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Concert",
        "venue_id": str(uuid.uuid4()),
        "starts_at": "2026-12-24T19:00:00+09:00",
        "ends_at": "2026-12-24T22:00:00+09:00",
        "sale_opens_at": "2026-12-01T10:00:00+09:00",
        "sale_closes_at": "2026-12-24T18:00:00+09:00",
        "grades": [{"code": "R", "name": "R석", "price": 99000}],
        "seat_grades": {"Floor": "R"},
    }
    data.update(changes)
    return data


def test_defaults_of_a_new_event() -> None:
    event = EventCreate.model_validate(body())

    assert event.description == "" and event.max_tickets_per_user == 4
    assert event.queue.domain() == QueuePolicy()


def test_naive_times_and_fractional_prices_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        EventCreate.model_validate(
            body(starts_at="2026-12-24T19:00:00", grades=[{"code": "R", "name": "R", "price": 1.5}])
        )

    fields = {".".join(str(p) for p in error["loc"]) for error in caught.value.errors()}
    assert fields == {"starts_at", "grades.0.price"}


def test_a_patch_carries_only_the_fields_sent() -> None:
    patch = EventUpdate.model_validate(
        {
            "title": "New",
            "grades": [{"code": "R", "name": "R석", "price": 1000}],
            "queue": {"enabled": False},
            "description": None,
        }
    )

    assert patch.changes() == {
        "title": "New",
        "grades": (Grade("R", "R석", 1000),),
        "queue": {"enabled": False},
        "description": "",
    }
    assert EventUpdate.model_validate({}).changes() == {}


def test_a_patch_may_not_null_a_required_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        EventUpdate.model_validate({"title": None, "grades": None, "starts_at": None}).changes()

    assert caught.value.details == {
        "title": "may not be null",
        "grades": "may not be null",
        "starts_at": "may not be null",
    }


def _row(status: str = "published") -> Any:
    event = SimpleNamespace(
        id=uuid.uuid4(),
        title="Concert",
        description="songs",
        venue_id=uuid.uuid4(),
        starts_at=NOW + timedelta(days=30),
        ends_at=NOW + timedelta(days=30, hours=3),
        sale_opens_at=NOW - timedelta(days=1),
        sale_closes_at=NOW + timedelta(days=29),
        status=status,
        max_tickets_per_user=4,
        queue_enabled=True,
        queue_max_active=100,
        queue_admit_per_second=10.0,
        image_url=None,
        organizer_id=uuid.uuid4(),
        created_at=NOW,
        updated_at=NOW,
        published_at=NOW,
        canceled_at=None,
    )
    return SimpleNamespace(
        Event=event,
        venue_name="Hall",
        venue_address="Seoul",
        venue_seat_count=8,
        grades=[
            {"code": "VIP", "name": "VIP석", "price": 165000, "seats": 5},
            {"code": "R", "name": "R석", "price": 99000, "seats": 3},
        ],
        seat_grades={"Floor": "VIP", "Balcony": "R"},
    )


def test_a_presented_document_matches_the_detail_and_summary_schemas() -> None:
    document = event_document(_row())

    presented = present_event(document, {"VIP": 0}, now=NOW)

    read = EventRead.model_validate(presented)
    assert read.sale_state == "on_sale" and read.available == 3
    assert [(g.code, g.seat_count, g.available) for g in read.grades] == [
        ("VIP", 5, 0),
        ("R", 3, 3),
    ]
    assert read.starts_at == NOW + timedelta(days=30)
    assert document["starts_at"].endswith("Z")
    EventSummary.model_validate(presented)
    # Sold out once every grade reports zero; closed once the window passes.
    assert present_event(document, {"VIP": 0, "R": 0}, now=NOW)["sale_state"] == "sold_out"
    assert present_event(document, None, now=NOW + timedelta(days=29))["sale_state"] == "closed"

"""Event rules: times, grades, the section mapping, limits, and what freezes on publishing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tiketi.services.catalog.domain.errors import InvalidInput
from tiketi.services.catalog.domain.events import (
    EventSpec,
    Grade,
    QueuePolicy,
    can_manage,
    can_see,
    changed_fields,
    check_event,
    frozen_changes,
)

KST = timezone(timedelta(hours=9))
START = datetime(2026, 12, 24, 19, 0, tzinfo=KST)
SECTIONS = ["Floor", "Balcony"]


def spec(**changes: object) -> EventSpec:
    base = EventSpec(
        title=" Winter Concert ",
        description=" songs ",
        venue_id=uuid.UUID(int=1),
        starts_at=START,
        ends_at=START + timedelta(hours=3),
        sale_opens_at=START - timedelta(days=30),
        sale_closes_at=START - timedelta(hours=1),
        grades=(Grade("VIP", "VIP석", 165000), Grade("R", "R석", 99000)),
        seat_grades={"Floor": "VIP", "Balcony": "R"},
    )
    return base.with_changes(changes)


def problems(candidate: EventSpec) -> dict:
    with pytest.raises(InvalidInput) as caught:
        check_event(candidate, sections=SECTIONS)
    return caught.value.details


def test_a_valid_event_comes_back_cleaned_with_defaults() -> None:
    checked = check_event(spec(seat_grades={" Floor ": " VIP ", "Balcony": "R"}), sections=SECTIONS)

    assert checked.title == "Winter Concert" and checked.description == "songs"
    assert checked.seat_grades == {"Floor": "VIP", "Balcony": "R"}
    assert checked.max_tickets_per_user == 4
    assert checked.queue == QueuePolicy(enabled=True, max_active=1000, admit_per_second=50.0)
    assert checked.grade_seat_counts({"Floor": 500, "Balcony": 120}) == {"VIP": 500, "R": 120}


def test_times_must_be_in_order_and_the_sale_closes_by_the_start() -> None:
    assert problems(spec(ends_at=START)) == {"ends_at": "must be after starts_at"}
    assert problems(spec(sale_closes_at=START - timedelta(days=31))) == {
        "sale_closes_at": "must be after sale_opens_at"
    }
    assert problems(spec(sale_closes_at=START + timedelta(minutes=1))) == {
        "sale_closes_at": "must not be after starts_at"
    }
    check_event(spec(sale_closes_at=START), sections=SECTIONS)


def test_naive_times_are_refused() -> None:
    details = problems(spec(starts_at=datetime(2026, 12, 24, 19, 0)))

    assert details == {"starts_at": "must carry a UTC offset (e.g. 2026-12-24T19:00:00+09:00)"}


def test_grades_need_unique_codes_names_and_sane_prices() -> None:
    details = problems(
        spec(
            grades=(
                Grade("VIP", "VIP석", -1),
                Grade("VIP", "", 1_000_000_001),
                Grade("R", "R석", 0),
            )
        )
    )

    assert details == {
        "grades.0.price": "must be between 0 and 1000000000 (KRW)",
        "grades.1.code": "duplicate grade code 'VIP'",
        "grades.1.name": "must not be empty",
        "grades.1.price": "must be between 0 and 1000000000 (KRW)",
    }
    assert problems(spec(grades=())) == {
        "grades": "an event needs at least one grade",
        "seat_grades.Floor": "no grade with the code 'VIP'",
        "seat_grades.Balcony": "no grade with the code 'R'",
    }


def test_every_section_is_mapped_to_a_known_grade_and_every_grade_is_used() -> None:
    assert problems(spec(seat_grades={"Floor": "VIP"})) == {
        "seat_grades.Balcony": "section 'Balcony' needs a grade",
        "grades.1.code": "no section is sold as grade 'R'",
    }
    assert problems(spec(seat_grades={"Floor": "VIP", "Balcony": "R", "Roof": "R"})) == {
        "seat_grades.Roof": "the venue has no section named 'Roof'"
    }
    assert problems(spec(seat_grades={"Floor": "VIP", "Balcony": "S"})) == {
        "seat_grades.Balcony": "no grade with the code 'S'",
        "grades.1.code": "no section is sold as grade 'R'",
    }


def test_ticket_limit_and_queue_policy_bounds() -> None:
    assert problems(spec(max_tickets_per_user=0)) == {
        "max_tickets_per_user": "must be between 1 and 20"
    }
    check_event(spec(max_tickets_per_user=20), sections=SECTIONS)
    assert "max_tickets_per_user" in problems(spec(max_tickets_per_user=21))
    assert problems(spec(queue={"max_active": 0, "admit_per_second": 0.0})) == {
        "queue.max_active": "must be between 1 and 1000000",
        "queue.admit_per_second": "must be above 0 and at most 100000",
    }


def test_empty_title_and_long_texts() -> None:
    assert problems(spec(title="  ")) == {"title": "must not be empty"}
    assert problems(spec(description="x" * 10_001)) == {
        "description": "must be at most 10000 characters"
    }


def test_a_partial_queue_change_keeps_the_other_fields() -> None:
    changed = spec(queue={"enabled": False})

    assert changed.queue == QueuePolicy(enabled=False, max_active=1000, admit_per_second=50.0)


def test_changes_compare_times_as_instants_and_name_the_frozen_ones() -> None:
    current = spec()
    same_instant = spec(starts_at=START.astimezone(UTC))

    assert changed_fields(current, same_instant) == []
    proposed = spec(
        title="New",
        grades=(Grade("VIP", "VIP석", 170000), Grade("R", "R석", 99000)),
        seat_grades={"Floor": "R", "Balcony": "VIP"},
        venue_id=uuid.UUID(int=2),
        queue={"max_active": 5},
    )
    assert changed_fields(current, proposed) == [
        "title",
        "venue_id",
        "grades",
        "seat_grades",
        "queue",
    ]
    assert frozen_changes(current, proposed) == ["venue_id", "grades", "seat_grades"]
    assert frozen_changes(current, spec(title="Only the title")) == []


def test_who_may_see_and_manage() -> None:
    owner = str(uuid.UUID(int=7))
    assert can_see(status="published", organizer_id=owner, viewer_id=None, admin=False)
    assert can_see(status="canceled", organizer_id=owner, viewer_id=None, admin=False)
    assert not can_see(status="draft", organizer_id=owner, viewer_id=None, admin=False)
    assert not can_see(status="draft", organizer_id=owner, viewer_id="someone", admin=False)
    assert can_see(status="draft", organizer_id=owner, viewer_id=owner, admin=False)
    assert can_see(status="draft", organizer_id=owner, viewer_id="someone", admin=True)
    assert can_manage(organizer_id=owner, actor_id=owner, admin=False)
    assert can_manage(organizer_id=owner, actor_id="admin", admin=True)
    assert not can_manage(organizer_id=owner, actor_id="other", admin=False)

"""Venue layouts: counts and labels, and every violation named by its path."""

from __future__ import annotations

import pytest

from tiketi.services.catalog.domain.errors import InvalidInput
from tiketi.services.catalog.domain.layout import (
    MAX_SEATS,
    RowDraft,
    SectionDraft,
    assign_seat_ids,
    plan_venue,
)


def problems(sections: list[SectionDraft], name: str = "Hall", address: str = "Seoul") -> dict:
    with pytest.raises(InvalidInput) as caught:
        plan_venue(name=name, address=address, sections=sections)
    assert caught.value.status == 422 and caught.value.code == "VALIDATION_ERROR"
    return caught.value.details


def test_counts_become_labels_one_to_n_and_explicit_labels_are_kept() -> None:
    plan = plan_venue(
        name="  Olympic Hall ",
        address=" Seoul ",
        sections=[
            SectionDraft(" Floor ", [RowDraft("A", 3), RowDraft(" B ", 2)]),
            SectionDraft("Balcony", [RowDraft("1", ["L1", " L2 ", "R1"])]),
        ],
    )

    assert (plan.name, plan.address, plan.seat_count) == ("Olympic Hall", "Seoul", 8)
    floor, balcony = plan.sections
    assert floor.name == "Floor" and floor.seat_count == 5
    assert [(row.label, row.seats) for row in floor.rows] == [
        ("A", ("1", "2", "3")),
        ("B", ("1", "2")),
    ]
    assert balcony.rows[0].seats == ("L1", "L2", "R1")


def test_each_duplicate_is_named_by_its_path() -> None:
    details = problems(
        [
            SectionDraft("Floor", [RowDraft("A", 2), RowDraft("A", 2)]),
            SectionDraft("Floor", [RowDraft("A", ["1", "2", "1"])]),
        ]
    )

    assert details == {
        "sections.0.rows.1.label": "duplicate row label 'A'",
        "sections.1.name": "duplicate section name 'Floor'",
        "sections.1.rows.0.seats.2": "duplicate seat label '1'",
    }


def test_same_labels_in_different_rows_and_sections_are_fine() -> None:
    plan = plan_venue(
        name="Hall",
        address="Seoul",
        sections=[
            SectionDraft("Left", [RowDraft("A", 2), RowDraft("B", 2)]),
            SectionDraft("Right", [RowDraft("A", 2)]),
        ],
    )

    assert plan.seat_count == 6


def test_empty_names_and_empty_parts_are_refused() -> None:
    details = problems(
        [
            SectionDraft("  ", [RowDraft("", 0)]),
            SectionDraft("Empty", []),
            SectionDraft("Blank seats", [RowDraft("A", [" ", "x" * 21]), RowDraft("B", [])]),
        ],
        name="",
        address=" ",
    )

    assert details == {
        "name": "a venue name must not be empty",
        "address": "an address must not be empty",
        "sections.0.name": "a section name must not be empty",
        "sections.0.rows.0.label": "a row label must not be empty",
        "sections.0.rows.0.seats": "a row needs at least one seat",
        "sections.1.rows": "a section needs at least one row",
        "sections.2.rows.0.seats.0": "a seat label must not be empty",
        "sections.2.rows.0.seats.1": "a seat label must be at most 20 characters",
        "sections.2.rows.1.seats": "a row needs at least one seat",
    }


def test_a_venue_needs_a_section() -> None:
    assert problems([]) == {"sections": "a venue needs at least one section"}


def test_at_most_100000_seats_and_a_huge_count_is_refused_without_building_it() -> None:
    exactly = plan_venue(
        name="Stadium",
        address="Seoul",
        sections=[SectionDraft("All", [RowDraft(str(i), 1000) for i in range(100)])],
    )
    assert exactly.seat_count == MAX_SEATS

    details = problems([SectionDraft("All", [RowDraft("A", 10**12)])])
    assert details == {"sections": f"a venue has at most {MAX_SEATS} seats, not {10**12}"}
    over = problems([SectionDraft("All", [RowDraft("A", MAX_SEATS), RowDraft("B", ["x"])])])
    assert "100001" in over["sections"]


def test_negative_counts_cannot_hide_a_huge_one() -> None:
    # Found by schemathesis (tests/e2e/test_hostile_input.py): the sum was under the limit,
    # and the process went on to build a trillion seat labels.
    details = problems([SectionDraft("All", [RowDraft("A", 10**12), RowDraft("B", -(10**12))])])
    assert details == {"sections": f"a venue has at most {MAX_SEATS} seats, not {10**12}"}


def test_seat_ids_follow_the_layout_order() -> None:
    plan = plan_venue(
        name="Hall",
        address="Seoul",
        sections=[
            SectionDraft("Floor", [RowDraft("A", 2), RowDraft("B", 1)]),
            SectionDraft("Balcony", [RowDraft("A", ["x", "y"])]),
        ],
    )

    sections = assign_seat_ids(plan, [10, 11, 12, 13, 14])

    assert [[row.seat_ids for row in s.rows] for s in sections] == [[(10, 11), (12,)], [(13, 14)]]
    assert sections[1].rows[0].seat_labels == ("x", "y")
    assert [s.seat_count for s in sections] == [3, 2]
    with pytest.raises(ValueError, match="one id per seat"):
        assign_seat_ids(plan, [1, 2])

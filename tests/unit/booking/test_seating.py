"""Best-available selection: adjacency, the orphan rule, splits."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tiketi.services.booking.domain.seating import (
    Place,
    best_available,
    choose_adjacent,
    free_runs,
    rows_to_read,
    run_rank,
)


def row(free: str, *, row_index: int = 0, section: int = 0, base: int = 0) -> list[Place]:
    """A row from a picture: '.' free, 'x' taken; seat ids are base + position."""
    return [Place(base + i, section, row_index, i, char == ".") for i, char in enumerate(free)]


def test_adjacent_in_one_row() -> None:
    chosen = best_available(row("x....x"), 2)
    assert chosen is not None and len(chosen) == 2
    assert chosen[1] == chosen[0] + 1


def test_never_leaves_an_orphan_when_avoidable() -> None:
    # Free run of 3 (ids 1-3): taking 2 of it always strands one seat; the run of 4 (ids 5-8)
    # offers windows at its edges that leave 2, never 1.
    places = row("x...x....")
    chosen = choose_adjacent(places, 2)
    assert chosen is not None
    left = min(chosen)
    run_start, run_end = 5, 8
    assert run_start <= left and max(chosen) <= run_end
    assert left - run_start != 1 and run_end - max(chosen) != 1


def test_exact_fit_beats_orphan_in_front_row() -> None:
    front = row("x...x", row_index=0)  # 3 free: taking 2 leaves an orphan
    back = row("x..x", row_index=1, base=100)  # exactly 2 free
    assert sorted(choose_adjacent(front + back, 2) or []) == [101, 102]


def test_front_rows_first_when_equal() -> None:
    front = row("..", row_index=0)
    back = row("..", row_index=1, base=100)
    assert sorted(choose_adjacent(back + front, 2) or []) == [0, 1]


def test_split_when_no_row_has_enough() -> None:
    places = row(".x.x..", row_index=0) + row("x..", row_index=1, base=100)
    chosen = best_available(places, 4)
    assert chosen is not None and len(set(chosen)) == 4
    assert all(p.free for p in places if p.seat_id in chosen)


def test_none_when_too_few_free() -> None:
    assert best_available(row("x.x"), 2) is None
    assert best_available(row("..."), 0) is None


# ---------------------------------------------------------------- reading only the rows that decide

_layouts = st.lists(  # rows of one grade: free flags, and whether a seat index is skipped (aisle)
    st.lists(st.tuples(st.booleans(), st.integers(0, 9)), min_size=1, max_size=12),
    min_size=1,
    max_size=8,
)


def _places(layout: list[list[tuple[bool, int]]], sections: int) -> list[Place]:
    places: list[Place] = []
    for index, seats in enumerate(layout):
        seat_index = 0
        for free, gap in seats:
            seat_index += 2 if gap == 0 else 1  # now and then an aisle breaks the row
            section, row_index = index % sections, index // sections
            places.append(Place(len(places), section, row_index, seat_index, free))
    return places


@settings(max_examples=400, deadline=None)
@given(
    layout=_layouts,
    sections=st.integers(1, 3),
    quantity=st.integers(1, 6),
    shuffle=st.randoms(use_true_random=False),
)
def test_the_rows_to_read_choose_what_the_whole_grade_would(
    layout: list[list[tuple[bool, int]]], sections: int, quantity: int, shuffle: random.Random
) -> None:
    places = _places(layout, sections)
    runs = free_runs(places)
    shuffle.shuffle(runs)  # the database breaks ties in any order
    ranked = sorted(
        runs,
        key=lambda r: run_rank(
            length=r.length, section_index=r.section_index, row_index=r.row_index,
            quantity=quantity,
        ),
    )[:quantity]  # fmt: skip
    rows = set(rows_to_read(ranked, quantity))
    assert len(rows) <= quantity
    subset = [p for p in places if (p.section_index, p.row_index) in rows]
    assert best_available(subset, quantity) == best_available(places, quantity)


def test_one_row_decides_when_a_run_fits() -> None:
    places = row("xx..x", row_index=0) + row("x.....", row_index=1, base=100)
    ranked = sorted(
        free_runs(places),
        key=lambda r: run_rank(
            length=r.length, section_index=r.section_index, row_index=r.row_index, quantity=2
        ),
    )
    # Row 0's run of 2 fits exactly: no orphan, front row.
    assert rows_to_read(ranked[:2], 2) == [(0, 0)]
    # For 4 no run of row 0 fits; row 1's run of 5 does, but strands one seat. Still row 1 only.
    ranked = sorted(
        free_runs(places),
        key=lambda r: run_rank(
            length=r.length, section_index=r.section_index, row_index=r.row_index, quantity=4
        ),
    )
    assert rows_to_read(ranked[:4], 4) == [(0, 1)]

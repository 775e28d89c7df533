"""Best-available selection: adjacency, the orphan rule, splits."""

from __future__ import annotations

from tiketi.services.booking.domain.seating import Place, best_available, choose_adjacent


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

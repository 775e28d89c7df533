"""Best-available selection: `quantity` adjacent seats in one row, without orphan seats.

Pure: it sees one grade's seats with a free flag and returns seat ids; the caller then takes
them with the same conditional UPDATE an explicit hold uses (and retries if it lost a race).

A grade can have 100,000 seats, so the caller does not load them all: `run_rank` orders the
grade's runs of free seats (the database computes them), `rows_to_read` names the few rows
whose seats decide the choice, and `best_available` over just those rows chooses exactly what
it would choose over the whole grade.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby


@dataclass(frozen=True)
class Place:
    """One seat of the grade: where it is and whether it is free right now."""

    seat_id: int
    section_index: int
    row_index: int
    seat_index: int
    free: bool


@dataclass(frozen=True)
class _Run:
    """Free seats with consecutive seat indexes in one row (a gap or taken seat ends a run)."""

    row: tuple[int, int]
    seats: tuple[Place, ...]
    row_center: float


def _runs(places: Iterable[Place]) -> list[_Run]:
    ordered = sorted(places, key=lambda p: (p.section_index, p.row_index, p.seat_index))
    runs: list[_Run] = []
    for row, members in groupby(ordered, key=lambda p: (p.section_index, p.row_index)):
        seats = list(members)
        center = (seats[0].seat_index + seats[-1].seat_index) / 2
        current: list[Place] = []
        for place in seats:
            if place.free and current and place.seat_index == current[-1].seat_index + 1:
                current.append(place)
                continue
            if current:
                runs.append(_Run(row, tuple(current), center))
            current = [place] if place.free else []
        if current:
            runs.append(_Run(row, tuple(current), center))
    return runs


@dataclass(frozen=True)
class FreeRun:
    """A run of free seats summed up: its row and how many seats it has."""

    section_index: int
    row_index: int
    length: int


def free_runs(places: Iterable[Place]) -> list[FreeRun]:
    """Every run of free seats (consecutive seat indexes in one row), in seat order."""
    return [FreeRun(run.row[0], run.row[1], len(run.seats)) for run in _runs(places)]


def run_rank(
    *, length: int, section_index: int, row_index: int, quantity: int
) -> tuple[int, int, int, int]:
    """How early best-available looks at a run of free seats for `quantity` (lower first).

    Runs that seat the party together come first: those that strand no seat (any length but
    exactly one more than needed, see `_window_key`), then front rows. Then runs too short, the
    longest first, as `choose_split` takes them.
    """
    if length >= quantity:
        return 0, int(length == quantity + 1), section_index, row_index
    return 1, -length, section_index, row_index


def rows_to_read(best_runs: Sequence[FreeRun], quantity: int) -> list[tuple[int, int]]:
    """The rows whose seats decide best-available, given the grade's best runs by `run_rank`.

    `best_runs` is the first `quantity` runs (or all, if fewer). When the first fits the party,
    its row holds the best adjacent window: the row alone decides. Otherwise no row does, and a
    split takes at most `quantity` runs, all among these; their rows decide. Rows, not runs,
    because the orphan rule and the middle of the row look at the whole row.
    """
    if not best_runs:
        return []
    first = best_runs[0]
    if first.length >= quantity:
        return [(first.section_index, first.row_index)]
    return list(dict.fromkeys((run.section_index, run.row_index) for run in best_runs[:quantity]))


def _window_key(run: _Run, start: int, quantity: int) -> tuple[int, int, int, int, float]:
    left = start
    right = len(run.seats) - quantity - start
    orphans = (left == 1) + (right == 1)
    # Fewer pieces left over keeps the row easier to sell; then the middle of the row.
    pieces = (left > 0) + (right > 0)
    middle = (run.seats[start].seat_index + run.seats[start + quantity - 1].seat_index) / 2
    return orphans, run.row[0], run.row[1], pieces, abs(middle - run.row_center)


def choose_adjacent(places: Sequence[Place], quantity: int) -> list[int] | None:
    """The best `quantity` adjacent free seats of one row, or None when no row has them.

    Windows that would strand a single seat between taken ones lose to any that do not; among
    equals the front rows (lowest section then row index) win, then fewer leftover pieces,
    then the window nearest the row's middle.
    """
    best: tuple[tuple[int, int, int, int, float], _Run, int] | None = None
    for run in _runs(places):
        for start in range(len(run.seats) - quantity + 1):
            key = _window_key(run, start, quantity)
            if best is None or key < best[0]:
                best = (key, run, start)
    if best is None:
        return None
    _, run, start = best
    return [place.seat_id for place in run.seats[start : start + quantity]]


def choose_split(places: Sequence[Place], quantity: int) -> list[int] | None:
    """When no row has enough adjacent seats: the fewest, longest runs, front rows first."""
    runs = sorted(_runs(places), key=lambda r: (-len(r.seats), r.row))
    chosen: list[int] = []
    for run in runs:
        take = min(quantity - len(chosen), len(run.seats))
        chosen.extend(place.seat_id for place in run.seats[:take])
        if len(chosen) == quantity:
            return chosen
    return None


def best_available(places: Sequence[Place], quantity: int) -> list[int] | None:
    """Adjacent seats in one row when possible, else the best split; None if too few are free."""
    if quantity < 1:
        return None
    return choose_adjacent(places, quantity) or choose_split(places, quantity)

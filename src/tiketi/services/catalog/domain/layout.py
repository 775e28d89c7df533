"""Venue layouts: sections of rows of seats, checked as a whole before anything is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from tiketi.services.catalog.domain.errors import InvalidInput

MAX_SEATS: Final = 100_000
VENUE_NAME_MAX: Final = 200
ADDRESS_MAX: Final = 500
SECTION_NAME_MAX: Final = 100
ROW_LABEL_MAX: Final = 20
SEAT_LABEL_MAX: Final = 20


@dataclass(frozen=True)
class RowDraft:
    """A row as the organizer describes it: a label and a seat count or explicit seat labels."""

    label: str
    seats: int | Sequence[str]


@dataclass(frozen=True)
class SectionDraft:
    """A section as the organizer describes it."""

    name: str
    rows: Sequence[RowDraft]


@dataclass(frozen=True)
class RowPlan:
    """A checked row: its label and its seat labels in order."""

    label: str
    seats: tuple[str, ...]


@dataclass(frozen=True)
class SectionPlan:
    """A checked section: its name and rows in order."""

    name: str
    rows: tuple[RowPlan, ...]

    @property
    def seat_count(self) -> int:
        """Seats in the section."""
        return sum(len(row.seats) for row in self.rows)


@dataclass(frozen=True)
class VenuePlan:
    """A venue ready to be stored: every rule of the layout holds."""

    name: str
    address: str
    sections: tuple[SectionPlan, ...]

    @property
    def seat_count(self) -> int:
        """Seats in the venue."""
        return sum(section.seat_count for section in self.sections)


class _Problems:
    """Collects every violation so one answer names them all."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.items.setdefault(path, message)

    def text(self, path: str, value: str, *, limit: int, what: str) -> str:
        cleaned = value.strip()
        if not cleaned:
            self.add(path, f"{what} must not be empty")
        elif len(cleaned) > limit:
            self.add(path, f"{what} must be at most {limit} characters")
        return cleaned


def _count(drafts: Sequence[SectionDraft]) -> int:
    """Seats the drafts describe, without building labels (a count may be huge).

    A negative count adds nothing (it is refused by its row): else -10**12 beside 10**12 would
    sum to zero and let a row of a trillion seats through to label building.
    """
    total = 0
    for section in drafts:
        for row in section.rows:
            total += max(row.seats, 0) if isinstance(row.seats, int) else len(row.seats)
    return total


def _seat_labels(row: RowDraft, path: str, problems: _Problems) -> tuple[str, ...]:
    if isinstance(row.seats, int):
        if row.seats < 1:
            problems.add(f"{path}.seats", "a row needs at least one seat")
            return ()
        return tuple(str(number) for number in range(1, row.seats + 1))
    if not row.seats:
        problems.add(f"{path}.seats", "a row needs at least one seat")
        return ()
    labels: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(row.seats):
        label = problems.text(
            f"{path}.seats.{index}", raw, limit=SEAT_LABEL_MAX, what="a seat label"
        )
        if label in seen:
            problems.add(f"{path}.seats.{index}", f"duplicate seat label {label!r}")
        seen.add(label)
        labels.append(label)
    return tuple(labels)


def _rows(section: SectionDraft, path: str, problems: _Problems) -> tuple[RowPlan, ...]:
    if not section.rows:
        problems.add(f"{path}.rows", "a section needs at least one row")
    rows: list[RowPlan] = []
    seen: set[str] = set()
    for index, row in enumerate(section.rows):
        row_path = f"{path}.rows.{index}"
        label = problems.text(
            f"{row_path}.label", row.label, limit=ROW_LABEL_MAX, what="a row label"
        )
        if label and label in seen:
            problems.add(f"{row_path}.label", f"duplicate row label {label!r}")
        seen.add(label)
        rows.append(RowPlan(label=label, seats=_seat_labels(row, row_path, problems)))
    return tuple(rows)


def plan_venue(*, name: str, address: str, sections: Sequence[SectionDraft]) -> VenuePlan:
    """Check a venue and its layout; InvalidInput names every violation by its path."""
    problems = _Problems()
    clean_name = problems.text("name", name, limit=VENUE_NAME_MAX, what="a venue name")
    clean_address = problems.text("address", address, limit=ADDRESS_MAX, what="an address")
    if not sections:
        problems.add("sections", "a venue needs at least one section")
    total = _count(sections)
    if total > MAX_SEATS:
        # Refused before any label is built: a count can be arbitrarily large.
        problems.add("sections", f"a venue has at most {MAX_SEATS} seats, not {total}")
        raise InvalidInput(problems.items)
    planned: list[SectionPlan] = []
    seen: set[str] = set()
    for index, section in enumerate(sections):
        path = f"sections.{index}"
        section_name = problems.text(
            f"{path}.name", section.name, limit=SECTION_NAME_MAX, what="a section name"
        )
        if section_name and section_name in seen:
            problems.add(f"{path}.name", f"duplicate section name {section_name!r}")
        seen.add(section_name)
        planned.append(SectionPlan(name=section_name, rows=_rows(section, path, problems)))
    if problems.items:
        raise InvalidInput(problems.items)
    return VenuePlan(name=clean_name, address=clean_address, sections=tuple(planned))


@dataclass(frozen=True)
class LayoutRow:
    """A stored row: its label and its seats' ids and labels, in order."""

    label: str
    seat_ids: tuple[int, ...]
    seat_labels: tuple[str, ...]


@dataclass(frozen=True)
class LayoutSection:
    """A stored section and its rows, in order."""

    name: str
    rows: tuple[LayoutRow, ...]

    @property
    def seat_count(self) -> int:
        """Seats in the section."""
        return sum(len(row.seat_ids) for row in self.rows)


def assign_seat_ids(plan: VenuePlan, ids: Sequence[int]) -> tuple[LayoutSection, ...]:
    """The plan's layout with `ids` given to its seats in layout order."""
    if len(ids) != plan.seat_count:
        raise ValueError("one id per seat is needed")
    sections: list[LayoutSection] = []
    cursor = 0
    for section in plan.sections:
        rows: list[LayoutRow] = []
        for row in section.rows:
            count = len(row.seats)
            rows.append(
                LayoutRow(
                    label=row.label,
                    seat_ids=tuple(ids[cursor : cursor + count]),
                    seat_labels=row.seats,
                )
            )
            cursor += count
        sections.append(LayoutSection(name=section.name, rows=tuple(rows)))
    return tuple(sections)

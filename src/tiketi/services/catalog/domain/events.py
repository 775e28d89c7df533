"""Events: what an organizer sets, the rules it must keep, and what freezes on publishing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Final, Literal

from tiketi.services.catalog.domain.errors import InvalidInput

EventStatus = Literal["draft", "published", "canceled"]
STATUSES: Final[tuple[EventStatus, ...]] = ("draft", "published", "canceled")
CURRENCY: Final = "KRW"

TITLE_MAX: Final = 200
DESCRIPTION_MAX: Final = 10_000
GRADE_CODE_MAX: Final = 20
GRADE_NAME_MAX: Final = 50
MAX_GRADES: Final = 20
# ₩1,000,000,000: far above any ticket, low enough that sums of a whole venue fit a bigint.
MAX_PRICE: Final = 1_000_000_000
MIN_TICKETS_PER_USER: Final = 1
MAX_TICKETS_PER_USER: Final = 20
DEFAULT_TICKETS_PER_USER: Final = 4
MAX_QUEUE_ACTIVE: Final = 1_000_000
MAX_ADMIT_PER_SECOND: Final = 100_000.0

# Fields a published event may no longer change: booking's inventory was built from them.
INVENTORY_FIELDS: Final = ("venue_id", "grades", "seat_grades")


@dataclass(frozen=True)
class Grade:
    """A price class: code (e.g. "VIP"), display name and price in KRW."""

    code: str
    name: str
    price: int


@dataclass(frozen=True)
class QueuePolicy:
    """The waiting room: on or off, how many may shop at once, how fast they are admitted."""

    enabled: bool = True
    max_active: int = 1000
    admit_per_second: float = 50.0


@dataclass(frozen=True)
class EventSpec:
    """Everything an organizer sets on an event."""

    title: str
    description: str
    venue_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    sale_opens_at: datetime
    sale_closes_at: datetime
    grades: tuple[Grade, ...]
    seat_grades: Mapping[str, str]
    max_tickets_per_user: int = DEFAULT_TICKETS_PER_USER
    queue: QueuePolicy = QueuePolicy()

    def with_changes(self, changes: Mapping[str, Any]) -> EventSpec:
        """A copy with the given fields replaced (a PATCH body's fields).

        `queue` may be a mapping of some of the policy's fields, merged into the current one.
        """
        updates = dict(changes)
        queue = updates.get("queue")
        if isinstance(queue, Mapping):
            updates["queue"] = replace(self.queue, **queue)
        return replace(self, **updates)

    def grade_seat_counts(self, section_seats: Mapping[str, int]) -> dict[str, int]:
        """Seats per grade code, given each section's seat count."""
        counts = {grade.code: 0 for grade in self.grades}
        for section, code in self.seat_grades.items():
            if code in counts:
                counts[code] += section_seats.get(section, 0)
        return counts


def _text(problems: dict[str, str], path: str, value: str, limit: int, *, empty: bool) -> str:
    cleaned = value.strip()
    if not cleaned and not empty:
        problems[path] = "must not be empty"
    elif len(cleaned) > limit:
        problems[path] = f"must be at most {limit} characters"
    return cleaned


def _check_times(spec: EventSpec, problems: dict[str, str]) -> None:
    for name in ("starts_at", "ends_at", "sale_opens_at", "sale_closes_at"):
        if getattr(spec, name).utcoffset() is None:
            problems[name] = "must carry a UTC offset (e.g. 2026-12-24T19:00:00+09:00)"
    if problems:
        return
    if spec.ends_at <= spec.starts_at:
        problems["ends_at"] = "must be after starts_at"
    if spec.sale_closes_at <= spec.sale_opens_at:
        problems["sale_closes_at"] = "must be after sale_opens_at"
    elif spec.sale_closes_at > spec.starts_at:
        # Tickets are sold before the doors open; check-in then knows every holder in advance.
        problems["sale_closes_at"] = "must not be after starts_at"


def _check_grades(grades: Sequence[Grade], problems: dict[str, str]) -> tuple[Grade, ...]:
    if not grades:
        problems["grades"] = "an event needs at least one grade"
    elif len(grades) > MAX_GRADES:
        problems["grades"] = f"at most {MAX_GRADES} grades"
    cleaned: list[Grade] = []
    seen: set[str] = set()
    for index, grade in enumerate(grades):
        path = f"grades.{index}"
        code = _text(problems, f"{path}.code", grade.code, GRADE_CODE_MAX, empty=False)
        if code and code in seen:
            problems[f"{path}.code"] = f"duplicate grade code {code!r}"
        seen.add(code)
        name = _text(problems, f"{path}.name", grade.name, GRADE_NAME_MAX, empty=False)
        if not 0 <= grade.price <= MAX_PRICE:
            problems[f"{path}.price"] = f"must be between 0 and {MAX_PRICE} (KRW)"
        cleaned.append(Grade(code=code, name=name, price=grade.price))
    return tuple(cleaned)


def _check_seat_grades(
    spec: EventSpec, sections: Sequence[str], problems: dict[str, str]
) -> dict[str, str]:
    codes = {grade.code for grade in spec.grades}
    known = set(sections)
    mapping = {section.strip(): code.strip() for section, code in spec.seat_grades.items()}
    for section, code in mapping.items():
        if section not in known:
            problems[f"seat_grades.{section}"] = f"the venue has no section named {section!r}"
        elif code not in codes:
            problems[f"seat_grades.{section}"] = f"no grade with the code {code!r}"
    for section in sections:
        if section not in mapping:
            problems[f"seat_grades.{section}"] = f"section {section!r} needs a grade"
    used = set(mapping.values())
    for index, grade in enumerate(spec.grades):
        if grade.code and grade.code not in used:
            problems[f"grades.{index}.code"] = f"no section is sold as grade {grade.code!r}"
    return mapping


def _check_limits(spec: EventSpec, problems: dict[str, str]) -> None:
    if not MIN_TICKETS_PER_USER <= spec.max_tickets_per_user <= MAX_TICKETS_PER_USER:
        problems["max_tickets_per_user"] = (
            f"must be between {MIN_TICKETS_PER_USER} and {MAX_TICKETS_PER_USER}"
        )
    if not 1 <= spec.queue.max_active <= MAX_QUEUE_ACTIVE:
        problems["queue.max_active"] = f"must be between 1 and {MAX_QUEUE_ACTIVE}"
    if not 0 < spec.queue.admit_per_second <= MAX_ADMIT_PER_SECOND:
        problems["queue.admit_per_second"] = f"must be above 0 and at most {MAX_ADMIT_PER_SECOND:g}"


def check_event(spec: EventSpec, *, sections: Sequence[str]) -> EventSpec:
    """The spec with its texts cleaned, if every rule holds against the venue's sections.

    InvalidInput names every violation: times in order, unique grade codes, prices,
    every section mapped to a grade (and no unknown section), limits and queue policy.
    """
    problems: dict[str, str] = {}
    title = _text(problems, "title", spec.title, TITLE_MAX, empty=False)
    description = _text(problems, "description", spec.description, DESCRIPTION_MAX, empty=True)
    _check_times(spec, problems)
    grades = _check_grades(spec.grades, problems)
    cleaned = replace(spec, title=title, description=description, grades=grades)
    mapping = _check_seat_grades(cleaned, sections, problems)
    _check_limits(spec, problems)
    if problems:
        raise InvalidInput(problems)
    return replace(cleaned, seat_grades=mapping)


def changed_fields(current: EventSpec, proposed: EventSpec) -> list[str]:
    """The names of the fields `proposed` changes (times compare as instants)."""
    changed = []
    for field in fields(EventSpec):
        before, after = getattr(current, field.name), getattr(proposed, field.name)
        if field.name == "seat_grades":
            before, after = dict(before), dict(after)
        if before != after:
            changed.append(field.name)
    return changed


def frozen_changes(current: EventSpec, proposed: EventSpec) -> list[str]:
    """The inventory fields `proposed` changes; a published event must keep them all."""
    return [name for name in changed_fields(current, proposed) if name in INVENTORY_FIELDS]


def can_see(*, status: EventStatus, organizer_id: str, viewer_id: str | None, admin: bool) -> bool:
    """Drafts are visible to their organizer and admins only; the rest to everyone."""
    return status != "draft" or admin or (viewer_id is not None and viewer_id == organizer_id)


def can_manage(*, organizer_id: str, actor_id: str, admin: bool) -> bool:
    """Only the organizer who created an event, or an admin, may change it."""
    return admin or actor_id == organizer_id

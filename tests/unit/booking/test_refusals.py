"""booking.take_hold's refusals become the API's errors (codes, statuses, details)."""

from __future__ import annotations

import pytest

from tiketi.services.booking.domain.models import hold_refusal


@pytest.mark.parametrize(
    ("outcome", "info", "status", "code", "details"),
    [
        ("event_not_found", {}, 404, "EVENT_NOT_FOUND", {}),
        ("event_canceled", {}, 409, "EVENT_CANCELED", {}),
        # PostgreSQL's session offset, answered in UTC like every timestamp of the API.
        ("sale_not_open", {"at": "2026-12-24T19:00:00+09:00"}, 409, "SALE_NOT_OPEN",
         {"sale_opens_at": "2026-12-24T10:00:00+00:00"}),
        ("sale_closed", {"at": "2026-12-24T10:00:00.5+00:00"}, 409, "SALE_CLOSED",
         {"sale_closes_at": "2026-12-24T10:00:00.500000+00:00"}),
        ("admission_required", {}, 403, "ADMISSION_REQUIRED", {"reason": "expired"}),
        ("ticket_limit", {"max_tickets_per_user": 4, "current": 3}, 422, "TICKET_LIMIT",
         {"max_tickets_per_user": 4, "current": 3}),
        ("unknown_seats", {"seat_ids": [9]}, 422, "VALIDATION_ERROR", {"seat_ids": [9]}),
        ("unavailable", {"seat_ids": [2]}, 409, "SEAT_UNAVAILABLE", {"seat_ids": [2]}),
        ("taken", {"seat_ids": [1]}, 409, "SEAT_UNAVAILABLE", {"seat_ids": [1]}),
        # A lock wait that gave up names every seat asked for.
        ("lost_race", {}, 409, "SEAT_UNAVAILABLE", {"seat_ids": [1, 2]}),
    ],
)  # fmt: skip
def test_each_refusal_has_its_error(
    outcome: str, info: dict[str, object], status: int, code: str, details: dict[str, object]
) -> None:
    error = hold_refusal(outcome, info, wanted=[1, 2], admission="expired")
    assert (error.status, error.code, error.details) == (status, code, details)


def test_a_missing_admission_says_so() -> None:
    error = hold_refusal("admission_required", {}, wanted=[1], admission=None)
    assert error.details == {"reason": "no admission token"}

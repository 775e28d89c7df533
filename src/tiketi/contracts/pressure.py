"""Booking's load report, which the waiting room's admission control loop reads.

Every booking process writes, about once a second, what its holds looked like over the last
window into one Redis hash (`PRESSURE_KEY`, a field per process). The queue's admitter reads
the whole hash, ignores reports older than `stale_after`, and slows admissions when holds fail
or their p95 latency passes its target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, ValidationError

PRESSURE_KEY = "booking:pressure"


class BookingPressure(BaseModel):
    """One booking process's holds over its last window."""

    model_config = ConfigDict(frozen=True)

    process: str
    at: datetime
    window_seconds: float
    attempts: int
    # Holds that failed for a reason of booking's own (busy, lock timeouts, errors), not the
    # fan's (seat taken, ticket limit): those are the ones that say "admit more slowly".
    failures: int
    p95_ms: float

    def encode(self) -> str:
        """The hash field's value."""
        return self.model_dump_json()


def combine(
    reports: Mapping[bytes | str, bytes | str] | Iterable[bytes | str],
    *,
    now: datetime | None = None,
    stale_after: float = 5.0,
) -> BookingPressure | None:
    """The fresh reports of every process as one: summed counts, the worst p95; None if none."""
    values = reports.values() if isinstance(reports, Mapping) else reports
    moment = now or datetime.now(UTC)
    fresh: list[BookingPressure] = []
    for raw in values:
        try:
            report = BookingPressure.model_validate_json(raw)
        except ValidationError:
            continue
        if (moment - report.at).total_seconds() <= stale_after:
            fresh.append(report)
    if not fresh:
        return None
    return BookingPressure(
        process="*",
        at=max(report.at for report in fresh),
        window_seconds=max(report.window_seconds for report in fresh),
        attempts=sum(report.attempts for report in fresh),
        failures=sum(report.failures for report in fresh),
        p95_ms=max(report.p95_ms for report in fresh),
    )

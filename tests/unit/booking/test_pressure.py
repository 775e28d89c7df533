"""Booking's hold window and the combined report the waiting room reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tiketi.contracts.pressure import BookingPressure, combine
from tiketi.services.booking.domain.pressure import PressureWindow


def test_window_counts_failures_and_p95() -> None:
    window = PressureWindow(seconds=10)
    for i in range(100):
        window.record(at=100.0, latency_ms=float(i + 1), failed=i % 10 == 0)
    figures = window.figures(now=105.0)
    assert figures.attempts == 100
    assert figures.failures == 10
    assert figures.p95_ms == 95.0


def test_window_forgets_old_samples() -> None:
    window = PressureWindow(seconds=10)
    window.record(at=0.0, latency_ms=900.0, failed=True)
    window.record(at=15.0, latency_ms=3.0, failed=False)
    figures = window.figures(now=20.0)
    assert (figures.attempts, figures.failures, figures.p95_ms) == (1, 0, 3.0)
    assert window.figures(now=100.0).attempts == 0


def test_window_is_bounded() -> None:
    window = PressureWindow(seconds=10, capacity=5)
    for i in range(50):
        window.record(at=1.0, latency_ms=float(i), failed=False)
    assert window.figures(now=1.0).attempts == 5


def _report(process: str, at: datetime, **figures: float) -> str:
    values = {"attempts": 10, "failures": 0, "p95_ms": 5.0, **figures}
    return BookingPressure(
        process=process,
        at=at,
        window_seconds=10,
        attempts=int(values["attempts"]),
        failures=int(values["failures"]),
        p95_ms=values["p95_ms"],
    ).encode()


def test_combine_sums_fresh_reports_and_takes_the_worst_p95() -> None:
    now = datetime.now(UTC)
    reports = {
        b"a": _report("a", now, attempts=100, failures=3, p95_ms=20.0),
        b"b": _report("b", now - timedelta(seconds=1), attempts=50, failures=1, p95_ms=300.0),
        b"old": _report("old", now - timedelta(minutes=5), attempts=999, failures=999),
        b"junk": b"not json",
    }
    combined = combine(reports, now=now)
    assert combined is not None
    assert (combined.attempts, combined.failures, combined.p95_ms) == (150, 4, 300.0)


def test_combine_without_fresh_reports_is_none() -> None:
    now = datetime.now(UTC)
    assert combine({}, now=now) is None
    assert combine({"x": _report("x", now - timedelta(minutes=1))}, now=now) is None

"""The admission rate's control loop (AIMD)."""

from __future__ import annotations

from tiketi.services.queue.domain.control import Load, RateTarget, next_rate, overloaded

TARGET = RateTarget(latency_ms=200, failure_ratio=0.05, floor=1.0, step=0.1, min_attempts=5)
HEALTHY = Load(attempts=100, failures=0, p95_ms=50)
SLOW = Load(attempts=100, failures=0, p95_ms=900)
FAILING = Load(attempts=100, failures=20, p95_ms=50)


def test_a_slow_booking_halves_the_rate() -> None:
    assert next_rate(100, 100, SLOW, TARGET) == 50
    assert next_rate(50, 100, SLOW, TARGET) == 25


def test_failing_holds_halve_the_rate() -> None:
    assert next_rate(100, 100, FAILING, TARGET) == 50
    # Exactly at the ratio is still healthy.
    assert next_rate(50, 100, Load(100, 5, 50), TARGET) == 60


def test_the_rate_never_drops_below_the_floor() -> None:
    rate = 100.0
    for _ in range(20):
        rate = next_rate(rate, 100, SLOW, TARGET)
    assert rate == 1.0
    # A ceiling below the floor wins: an organizer's 0.5/s stays 0.5/s.
    assert next_rate(0.5, 0.5, SLOW, TARGET) == 0.5


def test_a_healthy_booking_steps_the_rate_back_to_the_ceiling() -> None:
    rate = 1.0
    steps = 0
    while rate < 100:
        rate = next_rate(rate, 100, HEALTHY, TARGET)
        steps += 1
    assert rate == 100
    assert steps == 10  # 1 → 11 → 21 … → 91 → 100


def test_no_report_counts_as_healthy_and_a_lowered_ceiling_applies_at_once() -> None:
    assert next_rate(40, 100, None, TARGET) == 50
    assert next_rate(100, 30, None, TARGET) == 30
    assert next_rate(100, 30, SLOW, TARGET) == 15


def test_a_handful_of_holds_says_too_little_to_slow_down_for() -> None:
    assert not overloaded(Load(attempts=3, failures=3, p95_ms=5000), TARGET)
    assert overloaded(Load(attempts=5, failures=0, p95_ms=201), TARGET)
    assert not overloaded(Load(attempts=0, failures=0, p95_ms=0), TARGET)

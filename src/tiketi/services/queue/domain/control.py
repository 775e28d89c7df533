"""The admission rate's control loop (AIMD); the measured pace behind the ETA is in `pace`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    """Booking's holds over its last report window (every process summed; the worst p95)."""

    attempts: int
    failures: int
    p95_ms: float


@dataclass(frozen=True)
class RateTarget:
    """What "healthy" means for booking, and how the rate moves."""

    latency_ms: float = 200.0
    failure_ratio: float = 0.05
    # Never admit slower than this (a stalled room is worse than a slow booking page).
    floor: float = 1.0
    # Additive increase per step, as a fraction of the ceiling (10 healthy steps: full speed).
    step: float = 0.1
    decrease: float = 0.5
    # Fewer holds than this in a window say too little about booking to slow down for.
    min_attempts: int = 5


def overloaded(load: Load, target: RateTarget) -> bool:
    """True when booking's holds fail too often or are slower than the target."""
    if load.attempts < target.min_attempts:
        return False
    if load.p95_ms > target.latency_ms:
        return True
    return load.failures / load.attempts > target.failure_ratio


def next_rate(
    current: float, ceiling: float, load: Load | None, target: RateTarget | None = None
) -> float:
    """The next admission rate (fans/s): halve when booking is overloaded, else step toward
    the event's `admit_per_second` ceiling; never below the floor (or the ceiling, if lower).
    No report (booking idle or not reporting) counts as healthy."""
    target = target or RateTarget()
    floor = min(target.floor, ceiling)
    rate = min(max(current, floor), ceiling)
    if load is not None and overloaded(load, target):
        return max(floor, rate * target.decrease)
    return min(ceiling, rate + max(ceiling * target.step, floor))

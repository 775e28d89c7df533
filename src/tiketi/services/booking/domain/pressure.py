"""How booking's holds are doing lately: the figures the waiting room's admitter slows down on."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class PressureFigures:
    """Hold attempts, failures of booking's own and the p95 latency over one window."""

    attempts: int
    failures: int
    p95_ms: float


class PressureWindow:
    """A sliding window of hold outcomes, bounded in memory (the newest `capacity` kept)."""

    def __init__(self, *, seconds: float = 10.0, capacity: int = 50_000) -> None:
        self.seconds = seconds
        self._samples: deque[tuple[float, float, bool]] = deque(maxlen=capacity)

    def record(self, *, at: float, latency_ms: float, failed: bool) -> None:
        """One hold attempt that finished at `at` (monotonic seconds)."""
        self._samples.append((at, latency_ms, failed))

    def figures(self, *, now: float) -> PressureFigures:
        """The window's figures at `now`; samples older than the window are dropped."""
        horizon = now - self.seconds
        while self._samples and self._samples[0][0] < horizon:
            self._samples.popleft()
        if not self._samples:
            return PressureFigures(0, 0, 0.0)
        latencies = sorted(sample[1] for sample in self._samples)
        rank = max(0, math.ceil(0.95 * len(latencies)) - 1)
        failures = sum(1 for sample in self._samples if sample[2])
        return PressureFigures(len(latencies), failures, latencies[rank])

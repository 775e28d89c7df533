"""A scenario's outcome, merged from the client processes' samples."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.load import Sample


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Result:
    """One row of the report."""

    scenario: str
    requests: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    errors: Counter[str] = field(default_factory=Counter)
    oversold: int | None = None
    # "name": ceiling throughput; the ratio is throughput / ceiling.
    ceilings: dict[str, float] = field(default_factory=dict)
    target: str = ""
    met: bool | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    throughput_override: float | None = None
    unit: str = "req/s"

    @property
    def throughput(self) -> float:
        """Requests per second, unless the scenario says what else it counts."""
        if self.throughput_override is not None:
            return self.throughput_override
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def p(self, q: float) -> float:
        """A latency percentile in ms."""
        return percentile(self.latencies_ms, q)

    def as_json(self) -> dict[str, Any]:
        """What results.json keeps of this row."""
        return {
            "scenario": self.scenario,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "throughput": round(self.throughput, 1),
            "unit": self.unit,
            "p50_ms": round(self.p(50), 2),
            "p95_ms": round(self.p(95), 2),
            "p99_ms": round(self.p(99), 2),
            "errors": dict(self.errors),
            "oversold": self.oversold,
            "ceilings": self.ceilings,
            "target": self.target,
            "met": self.met,
            "cpu": {k: round(v) for k, v in self.cpu.items()},
            "notes": self.notes,
        }


def merge(scenario: str, samples: list[Sample], *, success: str) -> Result:
    """One row from every client process's sample; outcomes other than `success` are errors."""
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    for sample in samples:
        outcomes.update(sample.outcomes)
        latencies.extend(sample.latencies_ms)
    started = min(s.started for s in samples)
    finished = max(s.finished for s in samples)
    errors = Counter({k: v for k, v in outcomes.items() if k != success})
    result = Result(
        scenario=scenario,
        requests=sum(outcomes.values()),
        seconds=finished - started,
        latencies_ms=latencies,
        errors=errors,
    )
    result.cpu["clients"] = 100 * sum(s.cpu_seconds for s in samples) / max(result.seconds, 1e-9)
    return result

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
    # Invariants counted at the end (each must be 0; any other value fails the run).
    checks: dict[str, int] = field(default_factory=dict)

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
            "checks": self.checks,
            "notes": self.notes,
        }

    def failed_checks(self) -> dict[str, int]:
        """The invariants that are not 0."""
        return {name: count for name, count in self.checks.items() if count}


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


# What each journey step answers when it works (`bench.journeys`).
STEP_SUCCESS = {
    "challenge": "200",
    "join": "200",
    "status": "200",
    "hold": "201",
    "reserve": "201",
    "pay": "201",
    "confirm": "200",
    "leave": "204",
    "unhold": "204",
    "cancel": "200",
}


def _is_error(key: str) -> bool:
    name, _, code = key.partition(" ")
    return code != STEP_SUCCESS.get(name)


def journey_errors(samples: list[Sample]) -> Counter[str]:
    """Every journey step's failures, as "step status CODE"."""
    outcomes: Counter[str] = Counter()
    for sample in samples:
        outcomes.update(sample.outcomes)
    return Counter({key: n for key, n in outcomes.items() if _is_error(key)})


def step_rows(scenario: str, samples: list[Sample], seconds: float) -> list[Result]:
    """One row per journey step: its requests over the scenario's `seconds`, its latency,
    its errors."""
    rows = []
    errors = journey_errors(samples)
    for name in STEP_SUCCESS:
        latencies = [ms for sample in samples for ms in sample.steps.get(name, [])]
        if not latencies:
            continue
        row = Result(f"{scenario}: {name}", len(latencies), seconds, latencies)
        row.errors = Counter(
            {key.partition(" ")[2]: n for key, n in errors.items() if key.startswith(name + " ")}
        )
        rows.append(row)
    return rows

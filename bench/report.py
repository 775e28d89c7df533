"""The run's report: a Markdown table, results.json and a PNG chart under bench/results/."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import psutil

from bench.ceilings import Ceiling
from bench.results import Result

COLUMNS = [
    "scenario",
    "requests",
    "throughput/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "ratio to ceiling",
    "errors by code",
    "oversold seats",
    "target",
    "met",
    "CPU % platform/pg/redis/clients/other",
]
CEILING_COLUMNS = ["ceiling", "how", "throughput/s", "p50 ms", "p95 ms", "p99 ms"]


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _ratio(result: Result) -> str:
    if not result.ceilings:
        return "—"
    ratios = (f"{result.throughput / c:.2f} of {name}" for name, c in result.ceilings.items())
    return "; ".join(ratios)


def _errors(result: Result) -> str:
    if not result.errors:
        return "none"
    return "; ".join(f"{code}: {count:,}" for code, count in sorted(result.errors.items()))


def _cpu(result: Result) -> str:
    """% of one core per role; `other` is what the rest of the machine used meanwhile."""
    roles = ("platform", "postgres", "redis", "clients")
    cells = [f"{result.cpu[r]:.0f}" if r in result.cpu else "–" for r in roles]
    if "machine" in result.cpu:
        other = result.cpu["machine"] - sum(result.cpu.get(r, 0.0) for r in roles)
        cells.append(f"{max(other, 0):.0f}")
    return "/".join(cells)


def _met(result: Result) -> str:
    return "—" if result.met is None else ("yes" if result.met else "**no**")


def _notes(result: Result) -> list[str]:
    notes = list(result.notes)
    if result.checks:
        counts = ", ".join(f"{name} {count:,}" for name, count in result.checks.items())
        notes.append(f"Checks (each must be 0): {counts}.")
    return notes


def row(result: Result) -> list[str]:
    """One table row, in COLUMNS order."""
    return [
        result.scenario,
        f"{result.requests:,}",
        f"{result.throughput:,.0f} {result.unit}".replace(" req/s", ""),
        _ms(result.p(50)),
        _ms(result.p(95)),
        _ms(result.p(99)),
        _ratio(result),
        _errors(result),
        "—" if result.oversold is None else str(result.oversold),
        result.target or "—",
        _met(result),
        _cpu(result),
    ]


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return lines


def _machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{psutil.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{memory:.0f} GiB, Python {platform.python_version()}, {platform.system()}; "
        f"load average at the end {load}"
    )


def markdown(
    results: Sequence[Result], ceilings: Sequence[Ceiling], command: str, seconds: float
) -> str:
    """The report as Markdown."""
    lines = [
        f"# Benchmark run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command}` ({seconds:,.0f} s in all). Machine: {_machine()}. The platform, "
        "PostgreSQL, Redis and the load generator share these cores; the CPU column is % of one "
        "core per role during the measurement (200 = both cores), `other` being processes that "
        "are not part of the run.",
        "",
        *_table(COLUMNS, [row(r) for r in results]),
        "",
        "Notes:",
        "",
        *[f"- **{r.scenario}**: " + " ".join(_notes(r)) for r in results if r.notes or r.checks],
        "",
        "## Ceilings measured in this run",
        "",
        *_table(
            CEILING_COLUMNS,
            [
                [c.name, c.what, f"{c.throughput:,.0f}", _ms(c.p50), _ms(c.p95), _ms(c.p99)]
                for c in ceilings
            ],
        ),
        "",
    ]
    return "\n".join(lines)


def chart(results: Sequence[Result], ceilings: Sequence[Ceiling], path: Path) -> None:
    """Throughput against the ceilings, and latency percentiles, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in results if r.unit in {"req/s", "msgs/s", "admissions/s", "confirmed/s"}]
    height = max(5.5, 0.32 * (len(timed) + len(ceilings)) + 1.5)
    width = max(15.0, 8 + 0.35 * len(results))  # room for a latency bar group per row
    figure, (left, right) = plt.subplots(1, 2, figsize=(width, height))
    names = [f"{r.scenario} ({r.unit})" for r in timed] + [c.name for c in ceilings]
    values = [r.throughput for r in timed] + [c.throughput for c in ceilings]
    colours = ["tab:blue"] * len(timed) + ["tab:gray"] * len(ceilings)
    left.barh(names, values, color=colours)
    left.set_xscale("log")
    left.invert_yaxis()
    left.set_xlabel("per second (log scale); grey = ceilings measured in the same run")
    left.set_title("Throughput")
    for y, value in enumerate(values):
        left.text(value, y, f" {value:,.0f}", va="center", fontsize=8)
    width = 0.25
    positions = range(len(results))
    for offset, q in enumerate((50, 95, 99)):
        right.bar(
            [p + (offset - 1) * width for p in positions],
            [max(r.p(q), 0.01) for r in results],
            width,
            label=f"p{q}",
        )
    right.set_xticks(list(positions), [r.scenario for r in results], rotation=20, ha="right")
    right.set_yscale("log")
    right.set_ylabel("ms (log scale)")
    right.set_title("Latency")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write(
    out: Path,
    results: Sequence[Result],
    ceilings: Sequence[Ceiling],
    command: str,
    seconds: float,
) -> Path:
    """report.md, results.json and chart.png in `out`; the report's path."""
    out.mkdir(parents=True, exist_ok=True)
    report = out / "report.md"
    report.write_text(markdown(results, ceilings, command, seconds))
    data = {
        "command": command,
        "results": [r.as_json() for r in results],
        "ceilings": [c.__dict__ for c in ceilings],
    }
    (out / "results.json").write_text(json.dumps(data, indent=2))
    chart(results, ceilings, out / "chart.png")
    return report

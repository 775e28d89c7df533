"""`python -m bench --tiny`: every scenario runs end to end and the report says what it must.

No speed is asserted (figures belong to bench/README.md); this checks that the harness works:
its own servers, the ceilings, every scenario, and a report with every column and no oversold
seat.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bench.__main__ import SCENARIOS
from bench.ceilings import pgbench_tools
from bench.report import CEILING_COLUMNS, COLUMNS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _rows(report: str, header: list[str]) -> list[dict[str, str]]:
    """The Markdown table under `header`, as dicts by column."""
    lines = report.splitlines()
    first = "| " + " | ".join(header) + " |"
    start = lines.index(first) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


@pytest.mark.timeout(900)
def test_every_scenario_runs_tiny_and_reports_every_column_with_nothing_oversold(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=850,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    report = (tmp_path / "report.md").read_text()
    rows = _rows(report, COLUMNS)
    names = {row["scenario"] for row in rows}
    assert set(SCENARIOS) <= names, names
    for row in rows:
        assert row["oversold seats"] == "0", row
        assert "SCENARIO FAILED" not in row["errors by code"], row
        assert float(row["p99 ms"].replace(",", "")) >= float(row["p50 ms"].replace(",", ""))
    holds = next(row for row in rows if row["scenario"] == "hold-contention")
    assert int(holds["requests"].replace(",", "")) == 300  # --tiny's attempts, all answered

    ceilings = {row["ceiling"] for row in _rows(report, CEILING_COLUMNS)}
    assert {"hello-world", "platform /health"} <= ceilings
    if pgbench_tools() is not None:
        assert {"pgbench update", "pgbench hold-tx", "pgbench hold-tx-no-bump"} <= ceilings
    if shutil.which("redis-benchmark"):
        assert any(name.startswith("redis ") for name in ceilings)

    data = json.loads((tmp_path / "results.json").read_text())
    assert all(result["oversold"] == 0 for result in data["results"])
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

"""`python -m bench --tiny`: every scenario runs end to end and the report says what it must.

No speed is asserted (figures belong to bench/README.md); this checks that the harness works:
its own servers, the ceilings, every scenario, and a report with every column and no oversold
seat.
"""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.__main__ import EXPLICIT_ONLY, SCENARIOS
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


@pytest.mark.timeout(1500)
def test_every_scenario_runs_tiny_and_reports_every_column_with_nothing_oversold(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1450,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    report = (tmp_path / "report.md").read_text()
    rows = _rows(report, COLUMNS)
    names = {row["scenario"] for row in rows}
    assert set(SCENARIOS) - EXPLICIT_ONLY <= names, names
    for row in rows:
        # The admission engine's rows involve no seats ("—"); every other row counts them.
        seatless = row["scenario"].startswith("admission-engine")
        assert row["oversold seats"] == ("—" if seatless else "0"), row
        assert "SCENARIO FAILED" not in row["errors by code"], row
        assert float(row["p99 ms"].replace(",", "")) >= float(row["p50 ms"].replace(",", ""))
    holds = next(row for row in rows if row["scenario"] == "hold-contention")
    assert int(holds["requests"].replace(",", "")) == 300  # --tiny's attempts, all answered
    _assert_journeys(rows, json.loads((tmp_path / "results.json").read_text()))

    ceilings = {row["ceiling"] for row in _rows(report, CEILING_COLUMNS)}
    # socket-fanout measures the bare Socket.IO server with its own clients.
    assert {"hello-world", "platform /health", "socket hello-world"} <= ceilings
    if pgbench_tools() is not None:
        assert {"pgbench update", "pgbench hold-tx", "pgbench hold-tx-no-bump"} <= ceilings
    if shutil.which("redis-benchmark"):
        assert any(name.startswith("redis ") for name in ceilings)

    data = json.loads((tmp_path / "results.json").read_text())
    for result in data["results"]:
        seatless = result["scenario"].startswith("admission-engine")
        assert result["oversold"] == (None if seatless else 0), result
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def _count(cell: str) -> int:
    return int(cell.replace(",", ""))


def _assert_journeys(rows: list[dict[str, str]], data: dict[str, Any]) -> None:
    """The waiting room, checkout and flash-sale rows: their steps, and their checks at 0."""
    names = {row["scenario"] for row in rows}
    # Every step of every journey has its own row (latency per request type).
    assert {"admission: join", "admission: status", "admission: leave"} <= names, names
    for step in ("hold", "reserve", "pay", "confirm"):
        assert f"checkout: {step}" in names and f"flash-sale: {step}" in names, names
    assert {"flash-sale: join", "flash-sale: status"} <= names, names
    by_name = {result["scenario"]: result for result in data["results"]}
    admission, checkout, flash = by_name["admission"], by_name["checkout"], by_name["flash-sale"]
    assert admission["checks"] == {
        "active above max_active": 0,
        "admitted out of ticket order (pairs)": 0,
    }
    assert admission["requests"] == 60  # --tiny's fans, each admitted once
    assert checkout["checks"] == {"approved without confirmed": 0, "confirmed without payment": 0}
    assert checkout["requests"] == 40  # --tiny's checkouts, all attempted
    assert flash["checks"] == {
        "active above max_active": 0,
        "admitted out of ticket order (pairs)": 0,
        "approved without confirmed": 0,
        "confirmed without payment": 0,
    }
    assert flash["requests"] == 80  # every fan's journey ended one way or another
    engine = by_name["admission-engine"]
    assert engine["requests"] == 300  # --tiny's fans, each admitted once
    assert engine["checks"] and set(engine["checks"].values()) == {0}, engine["checks"]
    assert _count(next(r for r in rows if r["scenario"] == "flash-sale: confirm")["requests"]) > 0


@pytest.mark.timeout(600)
async def test_the_locustfile_buys_tickets_through_the_waiting_room(tmp_path: Path) -> None:
    from bench import api
    from bench.checks import money_in_database, oversold_in_database, sales_in_database
    from bench.queue import queue_ready
    from bench.stack import running_stack

    with running_stack(tmp_path / "logs") as stack:
        async with httpx.AsyncClient(base_url=stack.url, timeout=120) as client:
            token = await api.organizer(client)
            room = {"enabled": True, "max_active": 5, "admit_per_second": 20}
            event_id = await api.draft_event(client, token, seats=30, max_tickets=2, queue=room)
            await api.publish(client, token, event_id)
        await queue_ready(stack.url, event_id)
        done = await asyncio.to_thread(
            subprocess.run,
            [str(ROOT / ".venv" / "bin" / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"),
             "--headless", "-u", "12", "-r", "6", "-t", "40s", "--host", stack.url,
             "--event-id", event_id, "--forwarded-for", "--max-quantity", "2",
             "--csv", str(tmp_path / "locust"), "--only-summary", "--exit-code-on-error", "0"],
            cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        stats = {row["Name"]: row for row in csv.DictReader((tmp_path / "locust_stats.csv").open())}
        # Every fan signed up, joined the room and got to the end of the journey.
        assert int(stats["/api/v1/auth/register"]["Request Count"]) == 12, stats.keys()
        assert int(stats["/api/v1/queue/[id]/join"]["Request Count"]) == 12
        assert int(stats["/api/v1/payments/confirm"]["Request Count"]) >= 1, done.stderr[-3000:]
        assert int(stats["/api/v1/auth/register"]["Failure Count"]) == 0
        seats, orders, _ = await sales_in_database(stack.pg.dsn, event_id)
        assert orders >= 1 and seats <= 30
        assert await oversold_in_database(stack.pg.dsn) == 0
        money = await money_in_database(stack.pg.dsn)
        assert money["approved without confirmed"] == 0 and money["confirmed without payment"] == 0


@pytest.mark.timeout(600)
def test_the_cost_table_has_a_row_per_request_kind_with_the_expected_answers(
    tmp_path: Path,
) -> None:
    from bench.cost import KINDS

    done = subprocess.run(
        [sys.executable, "-m", "bench.cost", "--requests", "40", "--concurrency", "4",
         "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=550, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {
        line.split(" | ")[0].strip("| "): line
        for line in done.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| request")
    }
    assert set(rows) == set(KINDS)
    # Each kind did what it is named after: the answers column says so.
    assert rows["hold-win"].endswith("| 201: 40 |"), rows["hold-win"]
    assert rows["hold-409"].endswith("| 409: 40 |"), rows["hold-409"]
    for kind in ("health", "seat-map", "queue-join", "me"):
        assert rows[kind].endswith("| 200: 40 |"), rows[kind]
    for line in rows.values():
        platform_ms = float(line.split(" | ")[3])
        assert platform_ms > 0, line

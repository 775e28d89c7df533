"""Socket.IO fan-out: N clients in one event's room, holds made over HTTP, delivery latency.

The clients live in `bench.socket_clients` processes; this side makes the holds and collects
what every client received. Then more clients join until one server process holds
`--socket-capacity` sockets, and one more hold checks that all of them still hear it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.api import Fan, Published
from bench.ceilings import Ceiling
from bench.context import Context
from bench.load import split
from bench.results import Result
from bench.stack import ROOT

TARGET_P99_MS = 250.0
TARGET_SOCKETS = 5000
# Longer than the batcher's window (0.2 s), so each hold is its own seats:changed message.
PAUSE_BETWEEN_HOLDS = 1.0
# How long deliveries may take before they count as lost.
COLLECT_TIMEOUT = 30.0
SOCKET_CEILING = "socket hello-world"


@dataclass
class ClientProcess:
    """One `bench.socket_clients` process."""

    proc: subprocess.Popen[str]
    connected: int = 0
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def ask(self, line: str | None, timeout_note: str) -> dict[str, Any]:
        """Send a command (or none) and read the one JSON line that answers it."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if line is not None:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError(f"socket client process died ({timeout_note})")
        parsed: dict[str, Any] = json.loads(answer)
        return parsed

    def quit(self) -> None:
        """Ask it to disconnect everyone and exit."""
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def _spawn(
    ctx: Context, event_id: str, tokens: Path, counts: list[int], url: str | None = None
) -> list[ClientProcess]:
    started = []
    for count in counts:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.socket_clients", "--url", url or ctx.stack.url,
             "--event", event_id, "--count", str(count), "--tokens", str(tokens)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=(ctx.work / "socket-clients.log").open("a"), text=True,
        )  # fmt: skip
        started.append(ClientProcess(proc))
    for client in started:
        ready = client.ask(None, "while connecting")
        client.connected, client.failed = ready["connected"], ready["failed"]
        client.errors = ready["errors"]
    return started


def _hold(http: httpx.Client, fan: Fan, event_id: str, seat_id: int) -> float:
    sent = time.time()
    response = http.post(
        "/api/v1/holds", json={"event_id": event_id, "seat_ids": [seat_id]}, headers=fan.headers
    )
    if response.status_code != 201:
        raise RuntimeError(f"hold for the fan-out answered {response.status_code}: {response.text}")
    return sent


def _collect(
    processes: list[ClientProcess], sent: dict[int, float], expected: int, timeout: float
) -> list[float]:
    """Delivery latencies (ms) of the holds in `sent`, one per client that received each.

    Asks the client processes again until `expected` deliveries arrived or `timeout` passed,
    so a slow fan-out is measured, not cut off.
    """
    latencies: dict[tuple[int, int, int], float] = {}
    deadline = time.monotonic() + timeout
    while True:
        for number, client in enumerate(processes):
            for index, seat_id, at in client.ask("collect", "collecting")["receipts"]:
                key = (number, index, seat_id)
                if seat_id in sent and key not in latencies:
                    latencies[key] = (at - sent[seat_id]) * 1000
        if len(latencies) >= expected or time.monotonic() >= deadline:
            return list(latencies.values())
        time.sleep(0.5)


def _fanout_row(
    processes: list[ClientProcess], sent: dict[int, float], started: float, wanted: int
) -> Result:
    connected = sum(p.connected for p in processes)
    latencies = _collect(processes, sent, connected * len(sent), COLLECT_TIMEOUT)
    seconds = time.time() - started
    errors: Counter[str] = Counter()
    for p in processes:
        errors.update({f"connect {k}": v for k, v in p.errors.items()})
    missing = connected * len(sent) - len(latencies)
    if missing:
        errors[f"NOT DELIVERED in {COLLECT_TIMEOUT:.0f} s"] = missing
    if connected < wanted:
        errors["NOT CONNECTED"] = wanted - connected
    result = Result("socket-fanout", len(latencies), seconds, latencies, errors, unit="msgs/s")
    result.throughput_override = len(latencies) / seconds if seconds else 0.0
    return result


def socket_ceiling(ctx: Context, event_id: str, tokens: Path) -> Ceiling:
    """The same clients in a room of the bare Socket.IO server (`bench.hello`), the same
    number of changes 1 s apart: what python-socketio, its Redis manager and these clients
    cost on this machine, before the platform adds the hold, the batcher and its checks."""
    o = ctx.options
    hello = ctx.stack.hello.url
    processes = _spawn(ctx, event_id, tokens, split(o.sockets, o.socket_procs), url=hello)
    try:
        with httpx.Client(base_url=hello, timeout=60) as http:
            started = time.time()
            sent = {}
            for seat in range(1, o.socket_holds + 1):
                sent[seat] = time.time()
                http.post("/emit", params={"event_id": event_id, "seat_id": seat})
                time.sleep(PAUSE_BETWEEN_HOLDS)
            row = _fanout_row(processes, sent, started, o.sockets)
    finally:
        for client in processes:
            client.quit()
    what = (
        f"python-socketio alone ({o.workers} process{'es' if o.workers > 1 else ''}, Redis "
        f"manager): one emit to "
        f"{row.requests // max(len(sent), 1):,} of {o.sockets:,} clients, {len(sent)} emits"
    )
    return Ceiling(SOCKET_CEILING, what, row.throughput, row.p(50), row.p(95), row.p(99))


def run_fanout(ctx: Context, event: Published, fans: list[Fan], tokens: Path) -> list[Result]:
    """Blocking body of the scenario (pipes and a synchronous HTTP client)."""
    o = ctx.options
    holders = iter(fans)
    processes = _spawn(ctx, event.event_id, tokens, split(o.sockets, o.socket_procs))
    seats = iter(event.seat_ids)
    rows = []
    try:
        with httpx.Client(base_url=ctx.stack.url, timeout=60) as http, ctx.probe() as probe:
            started = time.time()
            sent = {}
            for _ in range(o.socket_holds):
                seat = next(seats)
                sent[seat] = _hold(http, next(holders), event.event_id, seat)
                time.sleep(PAUSE_BETWEEN_HOLDS)
            fanout = _fanout_row(processes, sent, started, o.sockets)
        fanout.cpu.update(probe.percent())
        rows.append(fanout)
        if o.socket_capacity > o.sockets:
            rows.append(_capacity(ctx, event, processes, holders, seats, tokens))
    finally:
        for client in processes:
            client.quit()
    return rows


def _capacity(
    ctx: Context,
    event: Published,
    processes: list[ClientProcess],
    holders: Any,
    seats: Any,
    tokens: Path,
) -> Result:
    o = ctx.options
    extra = o.socket_capacity - sum(p.connected for p in processes)
    processes.extend(_spawn(ctx, event.event_id, tokens, split(extra, o.socket_procs)))
    with httpx.Client(base_url=ctx.stack.url, timeout=60) as http, ctx.probe() as probe:
        started = time.time()
        seat = next(seats)
        sent = {seat: _hold(http, next(holders), event.event_id, seat)}
        row = _fanout_row(processes, sent, started, o.socket_capacity)
    row.scenario = "socket-capacity"
    row.cpu.update(probe.percent())
    root = psutil.Process(ctx.stack.platform.pid)
    rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20
    connected = sum(p.connected for p in processes)
    where = "one server process" if o.workers == 1 else f"{o.workers} worker processes"
    row.notes.append(
        f"{connected:,} sockets on {where} ({rss:,.0f} MiB RSS); one hold reached "
        f"{row.requests:,} of them"
    )
    row.target = f"{TARGET_SOCKETS:,} sockets in one process, every one gets the delta"
    # Spread over several workers the row says nothing of one process's capacity.
    row.met = o.workers == 1 and connected >= TARGET_SOCKETS and not row.errors
    return row


async def socket_fanout(ctx: Context) -> list[Result]:
    """N Socket.IO clients in one room; holds announce seats:changed to all of them."""
    o = ctx.options
    event = await ctx.event(1000)
    fans = await ctx.fans(o.socket_holds + 2 + 50)
    tokens = ctx.work / "socket-tokens.json"
    tokens.write_text(json.dumps([fan.token for fan in fans[o.socket_holds + 2 :]]))
    ceiling = None
    if ctx.ceilings:  # measured unless the run skips ceilings
        ceiling = await asyncio.to_thread(socket_ceiling, ctx, event.event_id, tokens)
        ctx.ceilings[ceiling.name] = ceiling
    rows = await asyncio.to_thread(run_fanout, ctx, event, fans, tokens)
    fanout = rows[0]
    fanout.oversold = await ctx.oversold()
    fanout.target = f"p99 ≤ {TARGET_P99_MS:g} ms to {o.sockets:,} sockets"
    fanout.met = fanout.p(99) <= TARGET_P99_MS and not fanout.errors
    fanout.notes.append(
        f"{o.sockets:,} python-socketio clients in {o.socket_procs} processes, {o.socket_holds} "
        "holds 1 s apart; latency from sending the hold to each client's seats:changed "
        "(includes the hold itself and the ≤ 200 ms batching window)"
    )
    if ceiling is not None:
        fanout.notes.append(
            f"Ceiling: the same clients on a bare python-socketio server ({SOCKET_CEILING}): p50 "
            f"{ceiling.p50:,.0f} / p99 {ceiling.p99:,.0f} ms from the emit's request"
        )
    for row in rows[1:]:
        row.oversold = fanout.oversold
    return rows

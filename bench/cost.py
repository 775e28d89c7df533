"""What one request costs the platform: CPU milliseconds per request, by kind.

`python -m bench.cost` starts the bench stack (as `python -m bench` does), sends a few thousand
requests of each kind with a modest concurrency, and divides the CPU the platform (every worker),
PostgreSQL and Redis used by the requests sent. Unlike throughput, CPU per request hardly moves
when other processes share the machine, so it is the figure to compare before and after a
change to the request path. `--profile KIND` records that kind with py-spy (raw folded stacks).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import httpx

from bench import api
from bench.probe import CpuProbe
from bench.queue import QUEUE_POLICY, queue_ready
from bench.stack import ROOT, Stack, running_stack

Request = tuple[str, str, dict[str, str], dict[str, object] | None]
KINDS = ("health", "seat-map", "hold-win", "hold-409", "queue-join", "me")


async def _drive(url: str, requests: Sequence[Request], concurrency: int) -> Counter[int]:
    statuses: Counter[int] = Counter()
    pending = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, connector=connector, auto_decompress=False) as session:

        async def worker() -> None:
            for method, path, headers, body in pending:
                async with session.request(method, path, headers=headers, json=body) as answer:
                    await answer.read()
                    statuses[answer.status] += 1

        await asyncio.gather(*[worker() for _ in range(concurrency)])
    return statuses


def _py_spy(stack: Stack, out: Path) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    if not Path(spy).exists():
        print("py-spy not found: no profile")
        return None
    command = [spy, "record", "-p", str(stack.platform.pid), "--subprocesses", "-r", "250",
               "-f", "raw", "-o", str(out), "--nonblocking"]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


async def _measure(
    stack: Stack, kind: str, requests: Sequence[Request], concurrency: int, profile: Path | None
) -> str:
    roles = {"platform": stack.platform.pid, "postgres": stack.pg.pid, "redis": stack.redis.pid}
    probe = CpuProbe(roles)
    spy = _py_spy(stack, profile) if profile else None
    probe.start()
    started = time.perf_counter()
    statuses = await _drive(stack.url, requests, concurrency)
    wall = time.perf_counter() - started
    probe.stop()
    if spy is not None:
        spy.send_signal(2)
        spy.wait()
    used = probe.percent()
    per = {role: used[role] * wall * 10 / len(requests) for role in roles}  # % · s → ms
    answers = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    return (
        f"| {kind} | {len(requests):,} | {len(requests) / wall:,.0f} | {per['platform']:.2f} "
        f"| {per['postgres']:.2f} | {per['redis']:.2f} | {used['machine']:.0f} | {answers} |"
    )


def anonymous(n: int) -> dict[str, str]:
    """A reader's headers: its own address (the per-IP limit counts each reader apart)."""
    return {"X-Forwarded-For": api.address(n)}


async def run(workers: int, count: int, concurrency: int, profile: str | None, out: Path) -> None:
    """Print a Markdown table: one row per request kind."""
    with running_stack(out / "logs", workers=workers) as stack:
        async with httpx.AsyncClient(base_url=stack.url, timeout=300) as client:
            organizer = await api.organizer(client)
            event = await api.event_on_sale(client, organizer, seats=2 * count, max_tickets=20)
            fans = await api.fans(client, max(1, count // 10))
            room = await api.draft_event(client, organizer, seats=100, queue=QUEUE_POLICY)
            await api.publish(client, organizer, room)
        await queue_ready(stack.url, room)
        # Every fan holds one seat at a time, ten times, within the event's limit of 20.
        holds: list[Request] = [
            ("POST", "/api/v1/holds", fan.headers,
             {"event_id": event.event_id, "seat_ids": [event.seat_ids[i * len(fans) + n]]})
            for i in range(10) for n, fan in enumerate(fans)
        ]  # fmt: skip
        # The same seats again, by the next fan: every one is taken (409).
        taken: list[Request] = [
            (method, path, fans[(n + 1) % len(fans)].headers, body)
            for n, (method, path, _, body) in enumerate(holds)
        ]
        plans: dict[str, list[Request]] = {
            "health": [("GET", "/health", {}, None)] * count,
            "seat-map": [
                ("GET", f"/api/v1/events/{event.event_id}/seats", anonymous(n), None)
                for n in range(count)
            ],
            "hold-win": holds[:count],
            "hold-409": taken[:count],
            "queue-join": [
                ("POST", f"/api/v1/queue/{room}/join", fans[n % len(fans)].headers, {})
                for n in range(count)
            ],
            "me": [
                ("GET", "/api/v1/auth/me", fans[n % len(fans)].headers, None) for n in range(count)
            ],
        }
        print(f"{workers} worker(s), {concurrency} requests in flight\n")
        print("| request | sent | per second | platform CPU ms | PostgreSQL CPU ms "
              "| Redis CPU ms | machine CPU % | answers |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|")
        for kind in KINDS:
            target = out / f"{kind}.raw" if profile == kind else None
            print(await _measure(stack, kind, plans[kind], concurrency, target), flush=True)


def main() -> None:
    """python -m bench.cost [--workers N] [--requests N] [--concurrency N] [--profile KIND]"""
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2000, help="per kind")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", choices=KINDS, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cost")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args.workers, args.requests, args.concurrency, args.profile, args.out))


if __name__ == "__main__":
    main()

"""`python -m bench [SCENARIO ...] [options]`: run scenarios and write bench/results/report.md."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import fields
from pathlib import Path

from bench import ceilings as ceiling
from bench.admission import admission
from bench.chaos import chaos
from bench.checkout import checkout
from bench.context import Context, Options
from bench.engine import admission_engine
from bench.flash import flash_sale
from bench.holds import hold_contention, hold_latency
from bench.queue import queue_join
from bench.reads import inventory_load, seat_map_read
from bench.report import write
from bench.results import Result
from bench.sockets import socket_fanout
from bench.stack import ROOT, running_stack

Scenario = Callable[[Context], Awaitable[list[Result]]]

# The order of a full run (the flash sale last: it signs up the most fans).
SCENARIOS: dict[str, Scenario] = {
    "inventory-load": inventory_load,
    "seat-map-read": seat_map_read,
    "hold-latency": hold_latency,
    "hold-contention": hold_contention,
    "socket-fanout": socket_fanout,
    "queue-join": queue_join,
    "admission": admission,
    "admission-engine": admission_engine,
    "checkout": checkout,
    "flash-sale": flash_sale,
    "chaos": chaos,
}
# Run only when named: the chaos drill starts its own multi-process cluster and kills parts of it.
EXPLICIT_ONLY = {"chaos"}

TINY = Options(
    attempts=300, per_hold=2, window=32, concurrency=8, rate=50, duration=2, reads=300,
    map_seats=200, inventory_seats=2_000, sockets=20, socket_capacity=30, socket_procs=1,
    socket_holds=2, joins=200, join_fans=50, admission_fans=60, admission_max_active=20,
    admission_rate=50, shop_seconds=0.2, poll_min=0.2, poll_max=2, checkouts=40,
    flash_fans=80, flash_seconds=3, flash_seats=60, flash_max_active=20, flash_rate=50,
    ceiling_requests=500, ceiling_seconds=2, workers=1, engine_fans=300,
)  # fmt: skip

# A few minutes in all: what to run on a busy machine, or before a full run.
QUICK = Options(
    attempts=5_000, reads=5_000, inventory_seats=20_000, sockets=500, socket_capacity=1_000,
    joins=2_000, join_fans=500, admission_fans=1_000, admission_max_active=250,
    admission_rate=500, checkouts=500, flash_fans=2_000, flash_seconds=20, flash_seats=500,
    flash_max_active=250, flash_rate=100, ceiling_requests=5_000, ceiling_seconds=5,
    engine_fans=20_000,
)  # fmt: skip

HELP = {
    "attempts": "hold-contention: hold requests in all (≥ 100000 for the issue's proof)",
    "seats": "hold-contention: seats of its event (default: as many as attempts, ≤ 100000)",
    "per_hold": "hold-contention: seats per hold",
    "window": "hold-contention: fans aim at the first N seats they believe free",
    "concurrency": "closed loops: requests in flight per client process",
    "client_procs": "HTTP client processes (raise it if the clients' CPU column nears 100)",
    "rate": "hold-latency: holds per second (open loop)",
    "duration": "hold-latency: seconds",
    "reads": "seat-map-read: requests",
    "map_seats": "seat-map-read: seats of the event read",
    "inventory_seats": "inventory-load: seats of the published event (≤ 100000)",
    "sockets": "socket-fanout: Socket.IO clients in the room",
    "socket_capacity": "socket-fanout: then grow to this many sockets on the one server process",
    "socket_procs": "socket-fanout: client processes per batch of sockets",
    "socket_holds": "socket-fanout: holds announced (1 s apart)",
    "max_tickets": "events' max_tickets_per_user (each fan buys up to this many seats)",
    "joins": "queue-join: join requests",
    "join_fans": "queue-join: distinct fans joining (the rest are repeat joins)",
    "admission_fans": "admission: fans waiting in the pre-queue when the sale opens",
    "admission_max_active": "admission: the room's max_active (fans shopping at once)",
    "admission_rate": "admission: the room's admit_per_second",
    "engine_fans": "admission-engine: fans in the line the admitter's step empties",
    "shop_seconds": "admission: seconds an admitted fan shops before giving the place back",
    "poll_min": "admission, flash-sale: least seconds between a waiting fan's status polls",
    "poll_max": "admission, flash-sale: most seconds between a waiting fan's status polls",
    "checkouts": "checkout: purchases (hold → reservation → sandbox pay → confirm)",
    "flash_fans": "flash-sale: fans (N)",
    "flash_seconds": "flash-sale: seconds over which the fans arrive (T)",
    "flash_seats": "flash-sale: seats on sale (M)",
    "flash_max_active": "flash-sale: the room's max_active",
    "flash_rate": "flash-sale: the room's admit_per_second",
    "flash_quantity": "flash-sale: each fan wants 1..this many seats (the event's ticket limit)",
    "chaos_fans": "chaos: fans of the drill over the multi-process cluster",
    "chaos_seats": "chaos: seats on sale in the drill",
    "chaos_arrival": "chaos: seconds over which the drill's fans arrive",
    "pow_difficulty": "proof-of-work bits the platform asks of every join (0: off; not with "
    "queue-join, whose joins send none)",
    "ceiling_requests": "requests per hello-world and redis-benchmark ceiling",
    "ceiling_seconds": "seconds per pgbench ceiling",
    "workers": "worker processes of the platform (tiketi serve --workers) and of the "
    "hello-world ceiling",
}


def parse(argv: list[str]) -> tuple[list[str], Options, Path, bool]:
    """Scenarios, sizes and the output folder from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Tiketi benchmarks; writes report.md and chart.png."
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"any of {', '.join(SCENARIOS)}; none: all but {', '.join(EXPLICIT_ONLY)}",
    )
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--tiny", action="store_true", help="every size tiny (the smoke test)")
    sizes.add_argument(
        "--quick", action="store_true",
        help="every size a few minutes' worth (flash sale: 2,000 fans / 20 s / 500 seats)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--skip-ceilings", action="store_true", help="no ceilings (ratios left out; for trials)"
    )
    for option in fields(Options):
        parser.add_argument(
            "--" + option.name.replace("_", "-"),
            type=type(option.default),
            default=None,
            help=HELP.get(option.name, "") + f" (default {option.default})",
        )
    args = parser.parse_args(argv)
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    base = TINY if args.tiny else QUICK if args.quick else Options()
    chosen = {f.name: getattr(args, f.name) for f in fields(Options)}
    options = Options(**{**base.__dict__, **{k: v for k, v in chosen.items() if v is not None}})
    if options.pow_difficulty and "queue-join" in (args.scenarios or SCENARIOS):
        parser.error("--pow-difficulty: name the scenarios, without queue-join (it sends no proof)")
    everything = [name for name in SCENARIOS if name not in EXPLICIT_ONLY]
    return args.scenarios or everything, options, args.out, args.skip_ceilings


def _processes(workers: int) -> str:
    return "1 process" if workers == 1 else f"{workers} processes"


async def measure_ceilings(ctx: Context) -> list[ceiling.Ceiling]:
    """Redis, PostgreSQL and HTTP ceilings on the same machine, same run."""
    o = ctx.options
    measured = await asyncio.to_thread(ceiling.redis_ceilings, ctx.stack, o.ceiling_requests)
    for name, what, url, path in (
        ("hello-world", f"FastAPI + uvicorn, {_processes(o.workers)}: GET /hello",
         ctx.stack.hello.url, "/hello"),
        ("platform /health", "the platform's middleware stack: GET /health", ctx.stack.url,
         "/health"),
    ):  # fmt: skip
        found, _ = await asyncio.to_thread(
            ceiling.http_ceiling, name, what, url, path, o.ceiling_requests, o.concurrency,
            o.client_procs,
        )  # fmt: skip
        measured.append(found)
    event = await ctx.event(10_000 if o.ceiling_requests >= 10_000 else 1_000)
    measured += await asyncio.to_thread(
        ceiling.pg_ceilings, ctx.stack, ctx.work, event_id=event.event_id,
        seat_ids=event.seat_ids, per_hold=o.per_hold, seconds=o.ceiling_seconds,
    )  # fmt: skip
    ctx.ceilings = {c.name: c for c in measured}
    return measured


def _failed(name: str, exc: BaseException) -> Result:
    traceback.print_exception(exc)
    result = Result(name, 0, 0.0, errors=Counter({"SCENARIO FAILED": 1}))
    result.notes.append(f"failed: {type(exc).__name__}: {str(exc)[:300]}")
    return result


async def run(
    names: list[str], options: Options, out: Path, ceilings_too: bool = True
) -> tuple[list[Result], list[ceiling.Ceiling]]:
    """Start the stack, measure the ceilings, run the scenarios."""
    work = out / "logs"
    with running_stack(
        work, pow_difficulty=options.pow_difficulty, workers=options.workers
    ) as stack:
        ctx = Context(stack=stack, options=options, work=work)
        print(f"platform on {stack.url}", flush=True)
        ceilings = await measure_ceilings(ctx) if ceilings_too else []
        results: list[Result] = []
        for name in names:
            print(f"scenario {name}…", flush=True)
            started = time.perf_counter()
            try:
                results += await SCENARIOS[name](ctx)
            except Exception as exc:
                results.append(_failed(name, exc))
            print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    # Scenarios may add their own (socket-fanout measures the bare Socket.IO server).
    return results, [*ceilings, *(c for c in ctx.ceilings.values() if c not in ceilings)]


def main(argv: list[str] | None = None) -> int:
    """Run, write the report, print it; 1 if a scenario failed, oversold a seat or broke
    another invariant (its checks)."""
    argv = sys.argv[1:] if argv is None else argv
    names, options, out, skip_ceilings = parse(argv)
    started = time.perf_counter()
    results, ceilings = asyncio.run(run(names, options, out, not skip_ceilings))
    command = "python -m bench " + shlex.join(argv) if argv else "python -m bench"
    report = write(out, results, ceilings, command.strip(), time.perf_counter() - started)
    print(report.read_text())
    print(f"report: {report}\nchart:  {out / 'chart.png'}")
    bad = [r for r in results if r.errors.get("SCENARIO FAILED") or r.oversold or r.failed_checks()]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""`chaos`: the flash-sale drill with faults, over the multi-process cluster (the long run).

Named only (`make bench SCENARIO=chaos BENCH_ARGS="--chaos-fans 2000 --chaos-seats 500"`): it
starts its own cluster (`tiketi cluster`: two queue and two booking processes behind nginx,
throwaway PostgreSQL and Redis), kills a booking process, restarts Redis and PostgreSQL and makes
the payment sandbox fail while the fans buy (src/tiketi/multiproc/drill.py), then audits. The
row's checks are the drill's invariants: each must be 0, or the run fails. The short version of
the same drill is the test tests/e2e/multiproc/test_chaos.py.
"""

from __future__ import annotations

import asyncio
import time

from bench.context import Context
from bench.results import Result
from tiketi.multiproc.audit import INVARIANTS
from tiketi.multiproc.drill import run_drill
from tiketi.multiproc.flashsale import SaleSize


async def chaos(ctx: Context) -> list[Result]:
    """Run the drill at the options' size; one row: fans per second, the tally, the checks."""
    options = ctx.options
    size = SaleSize(
        fans=options.chaos_fans,
        seats=options.chaos_seats,
        arrival_seconds=options.chaos_arrival,
    )
    workdir = ctx.work / "chaos"
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # The drill drives its own event loop and processes: keep it off the bench's loop.
    drill = await asyncio.to_thread(run_drill, size, workdir=workdir)
    seconds = time.perf_counter() - started
    drill.write(workdir / "journeys.jsonl")
    result = Result("chaos", len(drill.journeys), seconds, unit="fans/s")
    result.checks = {name: len(getattr(drill.audit, name)) for name in INVARIANTS}
    tally = ", ".join(f"{key} {value}" for key, value in sorted(drill.audit.tally.items()))
    result.notes.append(f"chaos drill: {drill.audit.sold_seats} seats sold; fans: {tally}")
    result.notes.append(f"steps, tally and journeys under {workdir}")
    (workdir / "report.txt").write_text(drill.report() + "\n")
    return [result]

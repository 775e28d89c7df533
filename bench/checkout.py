"""Checkout (issue 10): hold → reservation → the sandbox's widget → POST /payments/confirm.

Closed loop, `--concurrency` purchases in flight per client process, each of its own seats (no
contention: this measures the money path, not the race for seats), by fans who each buy up to
the event's limit. At the end PostgreSQL must show 0 oversold seats and the payment invariant:
0 gateway-approved payments without a confirmed reservation, 0 confirmed reservations without
an approved payment (`bench.checks`, after the reconciler settled what was open).
"""

from __future__ import annotations

from bench import api
from bench.checks import doubled_by_clients
from bench.context import Context
from bench.load import Job, split
from bench.results import Result, journey_errors, step_rows

TARGET_CONFIRMED_PER_SECOND = 1000


async def checkout(ctx: Context) -> list[Result]:
    """Purchases of free seats end to end; per-step and end-to-end latency; money checks."""
    o = ctx.options
    seats = o.checkouts * o.per_hold
    event = await ctx.event(seats)
    workers = o.concurrency * o.client_procs
    fans = await ctx.fans(api.fans_for(seats, o.max_tickets, workers))
    jobs, first = [], 0
    for i, share in enumerate(split(o.checkouts, o.client_procs)):
        block = event.seat_ids[first : first + share * o.per_hold]  # each process its own seats
        first += share * o.per_hold
        jobs.append(
            Job("checkout", ctx.stack.url, count=share, concurrency=o.concurrency,
                event_id=event.event_id, seat_ids=block, per_hold=o.per_hold,
                fans=fans[i :: o.client_procs], seats_per_fan=o.max_tickets, seed=i)
        )  # fmt: skip
    samples, cpu = await ctx.run(jobs)
    seconds = max(s.finished for s in samples) - min(s.started for s in samples)
    sold = [seats for sample in samples for seats in sample.sold]
    bought = len(sold)
    latencies = [ms for sample in samples for ms in sample.latencies_ms]
    attempts = sum(sum(sample.finals.values()) for sample in samples)
    result = Result("checkout", attempts, seconds, latencies, unit="confirmed/s")
    result.throughput_override = bought / seconds if seconds > 0 else 0.0
    result.cpu.update(cpu)
    result.errors = journey_errors(samples)
    money = await ctx.money()
    by_clients = doubled_by_clients(sold)
    oversold = await ctx.oversold() + by_clients
    result.checks = {
        "approved without confirmed": money["approved without confirmed"],
        "confirmed without payment": money["confirmed without payment"],
    }
    if "pgbench hold-tx" in ctx.ceilings:
        result.ceilings = {"pgbench hold-tx": ctx.ceilings["pgbench hold-tx"].throughput}
    result.target = f"≥ {TARGET_CONFIRMED_PER_SECOND:,} confirmed/s, 0 oversold"
    result.met = (
        result.throughput >= TARGET_CONFIRMED_PER_SECOND
        and oversold == 0
        and not result.failed_checks()
    )
    result.notes.append(
        f"{bought:,} of {attempts:,} checkouts confirmed ({bought * o.per_hold:,} seats, "
        f"{o.per_hold} a checkout, {workers} in flight); latency: hold sent → confirm answered. "
        f"Payments the reconciler had not settled 90 s after the run: {money['unsettled']}; "
        f"client-side seats confirmed twice: {by_clients}."
    )
    rows = [result, *step_rows("checkout", samples, seconds)]
    for row in rows:
        row.oversold = oversold
    return rows

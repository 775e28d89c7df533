"""Hold scenarios: hot contention (closed loop) and latency at a fixed arrival rate (open loop)."""

from __future__ import annotations

from bench import api
from bench.checks import doubled_by_clients
from bench.context import Context
from bench.load import Job, split
from bench.results import Result, merge

TARGET_HOLDS_PER_SECOND = 1500
TARGET_P99_MS = 50.0


def _ratios(ctx: Context, *names: str) -> dict[str, float]:
    return {name: ctx.ceilings[name].throughput for name in names if name in ctx.ceilings}


async def hold_contention(ctx: Context) -> list[Result]:
    """Many fans aim at the same free seats of one event; count wins, 409s, and double bookings."""
    o = ctx.options
    seats = o.seats or min(100_000, max(100, o.attempts))
    event = await ctx.event(seats)
    workers = o.concurrency * o.client_procs
    fans = await ctx.fans(api.fans_for(seats, o.max_tickets, workers))
    jobs = [
        Job(
            "hold-hot", ctx.stack.url, count=share, concurrency=o.concurrency,
            event_id=event.event_id, seat_ids=event.seat_ids, per_hold=o.per_hold,
            window=o.window, fans=fans[i :: o.client_procs], seats_per_fan=o.max_tickets, seed=i,
        )
        for i, share in enumerate(split(o.attempts, o.client_procs))
    ]  # fmt: skip
    samples, cpu = await ctx.run(jobs)
    result = merge("hold-contention", samples, success="201")
    result.cpu.update(cpu)
    held = [hold for sample in samples for hold in sample.held]
    by_clients = doubled_by_clients(held)
    result.oversold = await ctx.oversold() + by_clients
    result.ceilings = _ratios(ctx, "hello-world", "pgbench hold-tx")
    result.target = f"≥ {TARGET_HOLDS_PER_SECOND:,} holds/s, 0 oversold"
    result.met = result.throughput >= TARGET_HOLDS_PER_SECOND and result.oversold == 0
    won = len(held)
    result.notes.append(
        f"{won:,} holds won ({won / max(result.seconds, 1e-9):,.0f}/s), "
        f"{won * o.per_hold:,} of {seats:,} seats held, {o.per_hold} seats a hold, "
        f"{workers} fans in flight aiming at the first {o.window} free seats; "
        f"client-side double holds: {by_clients}"
    )
    return [result]


async def hold_latency(ctx: Context) -> list[Result]:
    """Holds arriving at a fixed rate (open loop), none contended: the latency of a hold."""
    o = ctx.options
    total = int(o.rate * o.duration)
    event = await ctx.event(max(total, 1))
    fans = await ctx.fans(api.fans_for(total, o.max_tickets, 0))
    procs = o.client_procs
    jobs = []
    for i in range(procs):
        # Process i sends holds i, i + procs, …: together one evenly spaced stream.
        ids = event.seat_ids[i:total:procs]
        jobs.append(
            Job(
                "hold-open", ctx.stack.url, rate=o.rate / procs,
                duration=len(ids) * procs / o.rate, phase=i / o.rate, event_id=event.event_id,
                seat_ids=ids, per_hold=1, fans=fans[i::procs], seed=i,
            )
        )  # fmt: skip
    samples, cpu = await ctx.run(jobs)
    result = merge("hold-latency", samples, success="201")
    result.cpu.update(cpu)
    held = [hold for sample in samples for hold in sample.held]
    result.oversold = await ctx.oversold() + doubled_by_clients(held)
    result.target = f"p99 < {TARGET_P99_MS:g} ms at {o.rate:,.0f} holds/s"
    result.met = (
        result.p(99) < TARGET_P99_MS and not result.errors and result.throughput >= 0.95 * o.rate
    )
    result.notes.append(
        f"open loop at {o.rate:,.0f}/s for {o.duration:g} s, latency from each request's "
        f"scheduled time (a backlog counts); {len(held):,} holds of 1 seat"
    )
    return [result]

"""The flash sale (issue 10): N fans arrive over T seconds for M seats, waiting room on.

Each fan (`bench.journeys`, kind "flash"): join (a proof of work first with
`--pow-difficulty`) → poll its status until admitted → hold 1..`--flash-quantity` best available
seats → reserve → the sandbox's widget → confirm. A fan told no seats are left gives the
admission back and goes home. Redis is watched meanwhile (`bench.room`): the budget, and the
order of admission against the ticket numbers (inversions: pairs admitted out of order).
At the end: seats sold, fans served, time to sell out, per-step latency against the seeds'
SLO (p95 < 200 ms for every request type), oversold seats and the payment invariant.
"""

from __future__ import annotations

from collections import Counter

from bench import api
from bench.checks import doubled_by_clients, sales_in_database
from bench.context import Context
from bench.load import Job, Plan, Sample, split
from bench.queue import queue_ready
from bench.results import Result, journey_errors, step_rows
from bench.room import RoomWatch, watching

TARGET_P95_MS = 200.0


async def flash_sale(ctx: Context) -> list[Result]:
    """N fans over T seconds for M seats through the waiting room, to the last seat."""
    o = ctx.options
    fans = await ctx.fans(o.flash_fans)
    token = await ctx.organizer_token()
    policy = {"enabled": True, "max_active": o.flash_max_active, "admit_per_second": o.flash_rate}
    async with ctx.client() as client:
        event_id = await api.draft_event(
            client, token, seats=o.flash_seats, max_tickets=o.flash_quantity, queue=policy
        )
        await api.publish(client, token, event_id)
    await queue_ready(ctx.stack.url, event_id)
    plan = Plan(
        arrive_over=o.flash_seconds, pow=o.pow_difficulty > 0, poll_min=o.poll_min,
        poll_max=o.poll_max, grade=api.GRADE, max_quantity=o.flash_quantity,
    )  # fmt: skip
    jobs = [
        Job("flash", ctx.stack.url, event_id=event_id, fans=fans[i :: o.client_procs],
            plan=plan, seed=i)
        for i, _ in enumerate(split(len(fans), o.client_procs))
    ]  # fmt: skip
    async with watching(ctx.stack.redis.url, event_id) as watch:
        samples, cpu = await ctx.run(jobs)
    money = await ctx.money()
    sales = await sales_in_database(ctx.stack.pg.dsn, event_id)
    return await _rows(ctx, samples, cpu, watch, money, sales)


async def _rows(
    ctx: Context,
    samples: list[Sample],
    cpu: dict[str, float],
    watch: RoomWatch,
    money: dict[str, int],
    sales: tuple[int, int, float | None],
) -> list[Result]:
    o = ctx.options
    began = min(s.started for s in samples)
    seconds = max(s.finished for s in samples) - began
    sold = [seats for sample in samples for seats in sample.sold]
    finals: Counter[str] = Counter()
    for sample in samples:
        finals.update(sample.finals)
    served = finals["bought"] + finals["sold out"]
    # PostgreSQL is the truth (it counts what the reconciler confirmed after a client gave up).
    seats_sold, orders, last = sales
    sold_out = seats_sold >= o.flash_seats
    selling = last - began if last is not None else 0.0
    latencies = [ms for sample in samples for ms in sample.latencies_ms]
    result = Result("flash-sale", sum(finals.values()), seconds, latencies)
    result.unit = "seats/s"
    result.throughput_override = seats_sold / selling if selling > 0 else 0.0
    result.cpu.update(cpu)
    result.errors = journey_errors(samples)
    by_clients = doubled_by_clients(sold)
    oversold = await ctx.oversold() + by_clients + max(0, seats_sold - o.flash_seats)
    result.checks = {
        "active above max_active": max(0, watch.max_active - o.flash_max_active),
        "admitted out of ticket order (pairs)": watch.inversions(),
        "approved without confirmed": money["approved without confirmed"],
        "confirmed without payment": money["confirmed without payment"],
    }
    steps = step_rows("flash-sale", samples, seconds)
    for row in steps:
        row.target = f"p95 < {TARGET_P95_MS:g} ms"
        row.met = row.p(95) < TARGET_P95_MS
    result.target = f"sold out, p95 < {TARGET_P95_MS:g} ms for every request type, 0 oversold"
    result.met = sold_out and oversold == 0 and all(r.met for r in steps)
    result.met = result.met and not result.failed_checks()
    sell_out = f"sold out {selling:.1f} s after the doors opened" if sold_out else "NOT sold out"
    result.notes.append(
        f"{o.flash_fans:,} fans arriving over {o.flash_seconds:g} s for {o.flash_seats:,} seats "
        f"(1–{o.flash_quantity} each, best available); room max_active {o.flash_max_active:,}, "
        f"admit_per_second {o.flash_rate:,.0f}; proof of work "
        f"{o.pow_difficulty or 'off'}. {seats_sold:,} seats sold in {orders:,} orders "
        f"({sum(len(seats) for seats in sold):,} confirmed to the fans' faces), "
        f"{sell_out}; fans served (bought, or told it is sold out) {served:,} of "
        f"{o.flash_fans:,}; how journeys ended: "
        + ", ".join(f"{name} {n:,}" for name, n in finals.most_common())
        + f". Redis: largest active {watch.max_active:,}, admissions {watch.admitted():,} at "
        f"{watch.rate():,.0f}/s, {len(watch.first_seen):,} admitted fans seen in order. Latency "
        f"of the row: arrival → confirmed, buyers only; client-side seats sold twice: "
        f"{by_clients}; payments still unsettled: {money['unsettled']}."
    )
    rows = [result, *steps]
    for row in rows:
        row.oversold = oversold
    return rows

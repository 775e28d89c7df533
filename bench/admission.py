"""Waiting-room admission (issue 5): fans already in the room, the admitter at its rate.

Every fan joins the event's pre-queue (the sale opens in half an hour); once Redis shows all of
them in it, the organizer moves the opening to a few seconds from now, so every fan learns the
moment from its status poll. At the opening the admitter draws the pre-queue and admits at the
event's `admit_per_second` within `max_active`; each admitted fan shops `--shop-seconds` and
gives the place back (DELETE), which frees the budget for the next. Redis is sampled throughout
(`bench.room`): admissions a second, the largest `active`, the order of admission.
"""

from __future__ import annotations

import asyncio
import time

from bench import api
from bench.context import Context
from bench.load import Job, Plan, Sample, split
from bench.queue import queue_ready
from bench.results import Result, journey_errors, step_rows
from bench.room import RoomWatch, watching

TARGET_ADMISSIONS_PER_SECOND = 10_000
# Far enough ahead that the pre-queue holds everyone while they join; within the queue's
# default pre-queue window (TIKETI_QUEUE_PRE_QUEUE_SECONDS, 3,600 s).
PRE_QUEUE_LEAD = 1800.0
JOIN_TIMEOUT = 600.0


async def _everyone_in(watch: RoomWatch, fans: int, run: asyncio.Task[object]) -> None:
    """Wait until the room holds `fans` fans (or the clients stopped, or time ran out)."""
    deadline = time.monotonic() + JOIN_TIMEOUT
    # Polled: the count lives in Redis, sampled by bench.room (nothing here to await).
    while watch.waiting_peak < fans and not run.done() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)


async def admission(ctx: Context) -> list[Result]:
    """Fans in a pre-queue, the sale opens, the admitter lets them in at its rate."""
    o = ctx.options
    fans = await ctx.fans(o.admission_fans)
    token = await ctx.organizer_token()
    policy = {
        "enabled": True,
        "max_active": o.admission_max_active,
        "admit_per_second": o.admission_rate,
    }
    async with ctx.client() as client:
        event_id = await api.draft_event(
            client, token, seats=100, queue=policy, opens_in=PRE_QUEUE_LEAD
        )
        await api.publish(client, token, event_id)
    await queue_ready(ctx.stack.url, event_id)
    plan = Plan(
        pow=o.pow_difficulty > 0, poll_min=o.poll_min, poll_max=o.poll_max, shop=o.shop_seconds
    )
    jobs = [
        Job("admission", ctx.stack.url, event_id=event_id, fans=fans[i :: o.client_procs],
            plan=plan, seed=i)
        for i, _ in enumerate(split(len(fans), o.client_procs))
    ]  # fmt: skip
    async with watching(ctx.stack.redis.url, event_id) as watch:
        run = asyncio.create_task(ctx.run(jobs))
        await _everyone_in(watch, len(fans), run)
        # Later than one poll_max: every fan has heard of the new opening before it comes.
        async with ctx.client() as client:
            await api.move_opening(client, token, event_id, seconds=o.poll_max + 3)
        samples, cpu = await run
    rows = _rows(ctx, samples, cpu, watch, len(fans))
    oversold = await ctx.oversold()
    for row in rows:
        row.oversold = oversold
    return rows


def _rows(
    ctx: Context, samples: list[Sample], cpu: dict[str, float], watch: RoomWatch, fans: int
) -> list[Result]:
    o = ctx.options
    seconds = max(s.finished for s in samples) - min(s.started for s in samples)
    latencies = [ms for sample in samples for ms in sample.latencies_ms]
    result = Result("admission", watch.admitted(), watch.admitting_seconds(), latencies)
    result.unit = "admissions/s"
    result.throughput_override = watch.rate()
    result.cpu.update(cpu)
    result.errors = journey_errors(samples)
    seen = sum(len(s.admitted) for s in samples)
    if seen < fans:
        result.errors["NOT ADMITTED"] = fans - seen
    result.ceilings = {"configured rate": o.admission_rate}
    result.checks = {
        "active above max_active": max(0, watch.max_active - o.admission_max_active),
        "admitted out of ticket order (pairs)": watch.inversions(),
    }
    result.target = f"≥ {TARGET_ADMISSIONS_PER_SECOND:,} admissions/s, active ≤ max_active"
    result.met = (
        result.throughput >= TARGET_ADMISSIONS_PER_SECOND
        and not result.failed_checks()
        and not result.errors
    )
    result.notes.append(
        f"{fans:,} fans in the pre-queue; policy max_active {o.admission_max_active:,}, "
        f"admit_per_second {o.admission_rate:,.0f}; each admitted fan shops "
        f"{o.shop_seconds:g} s then leaves. Redis ({watch.samples:,} samples, every 50 ms): "
        f"{watch.admitted():,} admissions in {watch.admitting_seconds():.1f} s, peak "
        f"{watch.peak_rate():,.0f} in one second, largest active {watch.max_active:,}. "
        f"Latency: from the opening to the status poll that saw the admission (polls every "
        f"{o.poll_min:g}–{o.poll_max:g} s, half the ETA)."
    )
    return [result, *step_rows("admission", samples, seconds)]

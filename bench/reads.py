"""Seat-map reads, and how long a 100,000-seat event takes to go on sale."""

from __future__ import annotations

import time

from bench import api
from bench.context import Context
from bench.load import Job, split
from bench.results import Result, merge

TARGET_READS_PER_SECOND = 3000


async def seat_map_read(ctx: Context) -> list[Result]:
    """GET /api/v1/events/{id}/seats closed-loop (anonymous readers from many addresses)."""
    o = ctx.options
    event = await ctx.event(o.map_seats)
    ips = [api.address(100_000 + i) for i in range(2_000)]
    path = f"/api/v1/events/{event.event_id}/seats"
    jobs = [
        Job("get", ctx.stack.url, path=path, count=share, concurrency=o.concurrency, ips=ips,
            seed=i)
        for i, share in enumerate(split(o.reads, o.client_procs))
    ]  # fmt: skip
    samples, cpu = await ctx.run(jobs)
    result = merge("seat-map-read", samples, success="200")
    result.cpu.update(cpu)
    result.oversold = await ctx.oversold()
    if "hello-world" in ctx.ceilings:
        result.ceilings = {"hello-world": ctx.ceilings["hello-world"].throughput}
    result.target = f"≥ {TARGET_READS_PER_SECOND:,}/s"
    result.met = result.throughput >= TARGET_READS_PER_SECOND and not result.errors
    body = sum(s.body_bytes for s in samples) / max(result.requests, 1)
    result.notes.append(
        f"{o.map_seats:,}-seat map, {body / 1024:,.0f} KiB a response as sent (gzip), "
        f"{body * result.throughput / 2**20:,.0f} MiB/s, {o.concurrency * o.client_procs} "
        "readers in flight"
    )
    return [result]


async def inventory_load(ctx: Context) -> list[Result]:
    """Publish a big event through catalog and wait until booking serves its seat map."""
    seats = ctx.options.inventory_seats
    token = await ctx.organizer_token()
    async with ctx.client() as client:
        event_id = await api.draft_event(client, token, seats=seats)
        with ctx.probe() as probe:
            published = await api.publish(client, token, event_id)
        started = time.perf_counter()
        again = await client.get(f"/api/v1/events/{event_id}/seats")
        cached_ms = (time.perf_counter() - started) * 1000
    if len(published.seat_ids) != seats:
        raise RuntimeError(f"booking serves {len(published.seat_ids)} seats, not {seats}")
    result = Result(
        scenario="inventory-load",
        requests=1,
        seconds=published.inventory_seconds,
        latencies_ms=[published.inventory_seconds * 1000],
        throughput_override=seats / published.inventory_seconds,
        unit="seats/s",
    )
    result.cpu.update(probe.percent())
    result.oversold = await ctx.oversold()
    result.target = "(no target; issue 4: inventory from EventPublished)"
    result.notes.append(
        f"{seats:,} seats: publish answered in {published.publish_seconds:.2f} s, seat map "
        f"served {published.inventory_seconds:.2f} s after publishing (relay → stream → "
        f"consumer → COPY → first snapshot); the cached map ({len(again.content) / 2**20:.1f} "
        f"MiB) then took {cached_ms:.0f} ms"
    )
    return [result]

"""Waiting-room scenarios (issue 5): joins through POST /api/v1/queue/{event_id}/join."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import httpx

from bench import api
from bench.context import Context
from bench.load import Job, split
from bench.results import Result, merge

TARGET_JOINS_PER_SECOND = 3000
# Fans wait: only this many shop at once, admitted slowly, so joins measure the line itself.
QUEUE_POLICY = {"enabled": True, "max_active": 100, "admit_per_second": 20}


async def queue_ready(base_url: str, event_id: str) -> None:
    """Wait until the queue service learnt the event from EventPublished (its public fairness
    page stops answering 404; nobody joins, so no admission is taken)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            response = await client.get(f"/api/v1/queue/{event_id}/fairness")
            if response.status_code == 200:
                return
            if response.status_code != 404:
                raise RuntimeError(f"fairness answered {response.status_code}: {response.text}")
            await asyncio.sleep(0.05)
    raise RuntimeError(f"the queue service never learnt event {event_id}")


def _unique_places(places: list[tuple[str, int | None]]) -> tuple[int, int]:
    """(fans whose joins gave two ticket numbers, ticket numbers given to two fans)."""
    by_fan: dict[str, set[int | None]] = defaultdict(set)
    for user, number in places:
        by_fan[user].add(number)
    owners: dict[int, set[str]] = defaultdict(set)
    for user, numbers in by_fan.items():
        for number in numbers:
            if number is not None:
                owners[number].add(user)
    return (
        sum(1 for numbers in by_fan.values() if len(numbers) > 1),
        sum(1 for users in owners.values() if len(users) > 1),
    )


async def queue_join(ctx: Context) -> list[Result]:
    """Fans join one event's waiting room (closed loop); places must be one per fan."""
    o = ctx.options
    fans = await ctx.fans(max(1, min(o.joins, o.join_fans)))
    token = await ctx.organizer_token()
    async with ctx.client() as client:
        event_id = await api.draft_event(client, token, seats=1000, queue=QUEUE_POLICY)
        await api.publish(client, token, event_id)
    await queue_ready(ctx.stack.url, event_id)
    jobs = [
        Job("join", ctx.stack.url, count=share, concurrency=o.concurrency, event_id=event_id,
            fans=fans[i :: o.client_procs], seed=i)
        for i, share in enumerate(split(o.joins, o.client_procs))
    ]  # fmt: skip
    samples, cpu = await ctx.run(jobs)
    result = merge("queue-join", samples, success="200")
    result.cpu.update(cpu)
    places = [place for sample in samples for place in sample.places]
    moved, shared = _unique_places(places)
    if moved or shared:
        result.errors["PLACE NOT UNIQUE"] = moved + shared
    result.oversold = await ctx.oversold()
    if "redis EVALSHA (rate-limit bucket)" in ctx.ceilings:
        result.ceilings = {"redis EVALSHA": ctx.ceilings["redis EVALSHA (rate-limit bucket)"]
                           .throughput}  # fmt: skip
    if "hello-world" in ctx.ceilings:
        result.ceilings["hello-world"] = ctx.ceilings["hello-world"].throughput
    result.target = f"≥ {TARGET_JOINS_PER_SECOND:,} joins/s"
    result.met = result.throughput >= TARGET_JOINS_PER_SECOND and not result.errors
    distinct = len({user for user, _ in places})
    result.notes.append(
        f"{distinct:,} fans, {o.joins:,} joins (a fan's later joins must return its first "
        f"place: {moved} did not; ticket numbers shared by two fans: {shared}); queue policy "
        f"max_active {QUEUE_POLICY['max_active']}, so almost every fan waits"
    )
    return [result]

"""Fans' journeys, run by the load generator's client processes (`bench.load`).

- `admission`: every fan of the job joins the waiting room (the pre-queue), waits for its
  admission by polling its status, keeps the place `plan.shop` seconds and gives it back.
- `checkout`: closed loop of purchases of uncontended seats: hold → reservation → the
  sandbox's widget (POST /sandbox/toss/v1/payments) → POST /api/v1/payments/confirm.
- `flash`: fans arrive at random over `plan.arrive_over` seconds: join (with a proof of work
  when asked) → wait for admission → hold the best available seats → reserve → pay → confirm;
  a fan told that no seats are left gives the admission back and goes home.

Every request is timed per step (`Sample.steps`), its outcome counted as "step status [CODE]".
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp

from bench.api import Fan
from bench.load import Answer, FanLine, Job, Sample, outcome, send

# A join or status poll that fails (429, 5xx, transport) is tried again this many times
# (0.5 s doubling to at most 5 s apart: about a minute in all), as the waiting page would.
POLL_RETRIES = 15
# A best-available hold that lost a race (409 with seats still free) is tried again this often.
HOLD_RETRIES = 3
# Attempts of a confirmation that got a 5xx or no answer (1 s, 2 s, 4 s apart).
CONFIRM_ATTEMPTS = 4
JSON = {"Content-Type": "application/json"}


async def step(
    client: aiohttp.ClientSession,
    sample: Sample,
    name: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any = None,
) -> Answer | None:
    """One timed request of a journey; its answer, None on a transport error."""
    data = None if body is None else json.dumps(body)
    if data is not None:
        headers = {**headers, **JSON}
    started = time.perf_counter()
    answer = await send(client, method, path, headers, data)
    sample.steps.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    code = outcome(answer) if isinstance(answer, Answer) else answer
    sample.outcomes[f"{name} {code}"] += 1
    return answer if isinstance(answer, Answer) else None


def solve(challenge: str, difficulty: int) -> str:
    """A nonce such that SHA-256(challenge + ":" + nonce) starts with `difficulty` zero bits."""
    for nonce in itertools.count():
        digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
        if int.from_bytes(digest, "big") >> (256 - difficulty) == 0:
            return str(nonce)
    raise AssertionError("unreachable")


def _epoch(value: str | None) -> float:
    return datetime.fromisoformat(value).timestamp() if value else 0.0


def _next_poll(place: dict[str, Any], job: Job, rng: random.Random) -> float:
    """Seconds until the next status poll: the pre-queue waits for the opening (asking again
    at least every `poll_max`: the organizer may move it); a fan in line polls after half its
    ETA (within the plan's bounds), with jitter so polls do not align."""
    plan = job.plan
    if place.get("phase") == "pre_queue":
        until_open = _epoch(place.get("opens_at")) - time.time()
        if until_open > plan.poll_max:
            return plan.poll_max * rng.uniform(0.8, 1.0)
        return max(0.0, until_open) + rng.uniform(0.05, plan.poll_min)
    eta = float(place.get("eta_seconds") or 0)
    return min(plan.poll_max, max(plan.poll_min, eta / 2)) * rng.uniform(0.8, 1.2)


async def _join_body(
    client: aiohttp.ClientSession, sample: Sample, job: Job, fan: Fan
) -> dict[str, Any] | None:
    """The join's body: a solved challenge when the plan asks for a proof of work."""
    if not job.plan.pow:
        return None
    path = f"/api/v1/queue/{job.event_id}/challenge"
    answer = await step(client, sample, "challenge", "GET", path, fan.headers)
    if answer is None or answer.status != 200:
        return None
    issued = answer.json()
    if not issued["difficulty"]:
        return None
    # Solving blocks this client's loop for a moment, as it occupies a fan's browser.
    nonce = solve(issued["challenge"], int(issued["difficulty"]))
    return {"pow": {"challenge": issued["challenge"], "nonce": nonce}}


async def _poll(
    client: aiohttp.ClientSession, sample: Sample, path: str, fan: Fan
) -> dict[str, Any] | None:
    """The fan's place, trying a busy or failing server again a few times."""
    for attempt in range(POLL_RETRIES):
        answer = await step(client, sample, "status", "GET", path, fan.headers)
        if answer is not None and answer.status == 200:
            place: dict[str, Any] = answer.json()
            return place
        if answer is not None and answer.status < 429:
            return None  # not in the queue, sale closed, …: nothing to wait for
        await asyncio.sleep(min(5.0, 0.5 * 2**attempt))
    return None


async def _join(
    client: aiohttp.ClientSession, sample: Sample, job: Job, fan: Fan
) -> dict[str, Any] | None:
    """Join the room, again after a 429, a 5xx or no answer (joining is idempotent: a repeat
    returns the same place), as the waiting page does; the place, None when refused."""
    path = f"/api/v1/queue/{job.event_id}/join"
    for attempt in range(POLL_RETRIES):
        body = await _join_body(client, sample, job, fan)  # a challenge is single-use
        answer = await step(client, sample, "join", "POST", path, fan.headers, body)
        if answer is not None and answer.status == 200:
            place: dict[str, Any] = answer.json()
            return place
        if answer is not None and answer.status < 429:
            return None
        await asyncio.sleep(min(5.0, 0.5 * 2**attempt))
    return None


async def admission(
    client: aiohttp.ClientSession, sample: Sample, job: Job, fan: Fan, rng: random.Random
) -> tuple[str, float] | None:
    """Join the room and wait until admitted: the admission token and the seconds waited
    (from the join, or from the opening for a fan of the pre-queue); None when refused."""
    room = f"/api/v1/queue/{job.event_id}"
    joined = time.time()
    place = await _join(client, sample, job, fan)
    while place is not None and place["status"] != "admitted":
        await asyncio.sleep(_next_poll(place, job, rng))
        place = await _poll(client, sample, room + "/status", fan)
    if place is None:
        # Giving up: hand the place back, or the room would admit this fan later and keep
        # the admission from the next one until it expires (TIKETI_QUEUE_ADMISSION_SECONDS).
        await leave(client, sample, job, fan)
        return None
    since, now = max(joined, _epoch(place.get("opens_at"))), time.time()
    sample.admitted.append((fan.id, int(place["ticket_number"] or 0), since, now))
    return str(place["admission_token"]), now - since


async def leave(client: aiohttp.ClientSession, sample: Sample, job: Job, fan: Fan) -> None:
    """Give the place or the admission back."""
    await step(client, sample, "leave", "DELETE", f"/api/v1/queue/{job.event_id}", fan.headers)


async def _confirm(
    client: aiohttp.ClientSession, sample: Sample, fan: Fan, body: dict[str, Any]
) -> Answer | None:
    """POST /payments/confirm, again after a 5xx or a lost connection, as the payment page
    does (a repeat returns the first outcome, or waits for it)."""
    answer = None
    for attempt in range(CONFIRM_ATTEMPTS):
        answer = await step(client, sample, "confirm", "POST", "/api/v1/payments/confirm",
                            fan.headers, body)  # fmt: skip
        if answer is not None and answer.status < 500:
            return answer
        await asyncio.sleep(2**attempt)
    return answer


async def pay(client: aiohttp.ClientSession, sample: Sample, fan: Fan, hold: dict[str, Any]) -> str:
    """Reservation → the sandbox's widget → confirm; "bought" or the step that failed. A fan
    who gives up lets the seats go (the hold, or the unpaid reservation), as the web app's
    cancel button does; a confirmation left unanswered is the reconciler's."""
    answer = await step(
        client, sample, "reserve", "POST", "/api/v1/reservations", fan.headers,
        {"hold_id": hold["id"]},
    )  # fmt: skip
    if answer is None or answer.status != 201:
        await step(client, sample, "unhold", "DELETE", f"/api/v1/holds/{hold['id']}",
                   fan.headers)  # fmt: skip
        return "failed at reserve"
    order = answer.json()
    cancel = f"/api/v1/reservations/{order['id']}/cancel"
    window = {"orderId": order["id"], "orderName": "Bench concert", "amount": order["amount"]}
    answer = await step(
        client, sample, "pay", "POST", "/sandbox/toss/v1/payments", {"X-Forwarded-For": fan.ip},
        window,
    )  # fmt: skip
    if answer is None or answer.status != 201:
        await step(client, sample, "cancel", "POST", cancel, fan.headers)
        return "failed at pay"
    body = {
        "payment_key": answer.json()["paymentKey"],
        "order_id": order["id"],
        "amount": order["amount"],
    }
    answer = await _confirm(client, sample, fan, body)
    if answer is None or answer.status != 200:
        if answer is not None and answer.status < 500:
            await step(client, sample, "cancel", "POST", cancel, fan.headers)
        return "failed at confirm"
    sample.sold.append([seat["id"] for seat in hold["seats"]])
    sample.sold_at.append(time.time())
    return "bought"


async def _checkout_loop(client: aiohttp.ClientSession, job: Job, sample: Sample) -> None:
    line = FanLine(job.fans, job.seats_per_fan)
    seats = iter(range(0, len(job.seat_ids) - job.per_hold + 1, job.per_hold))
    remaining = [job.count]

    async def worker() -> None:
        fan = line.next()
        while fan is not None and remaining[0] > 0:
            first = next(seats, None)
            if first is None:
                return
            remaining[0] -= 1
            wanted = job.seat_ids[first : first + job.per_hold]
            started = time.perf_counter()
            answer = await step(client, sample, "hold", "POST", "/api/v1/holds", fan.headers,
                                {"event_id": job.event_id, "seat_ids": wanted})  # fmt: skip
            final = "failed at hold"
            if answer is not None and answer.status == 201:
                final = await pay(client, sample, fan, answer.json())
            sample.finals[final] += 1
            if final == "bought":
                sample.latencies_ms.append((time.perf_counter() - started) * 1000)
            if line.satisfied(fan, len(wanted)):
                fan = line.next()

    await asyncio.gather(*(worker() for _ in range(job.concurrency)))


async def _hold_best(
    client: aiohttp.ClientSession, sample: Sample, job: Job, fan: Fan, token: str, wants: int
) -> dict[str, Any] | str:
    """The hold of up to `wants` best seats; "sold out" or the failure when none."""
    headers = {**fan.headers, "X-Admission-Token": token}
    quantity = wants
    for _ in range(HOLD_RETRIES + 1):
        body = {"event_id": job.event_id, "grade": job.plan.grade, "quantity": quantity}
        answer = await step(client, sample, "hold", "POST", "/api/v1/holds", headers, body)
        if answer is None:
            return "failed at hold"
        if answer.status == 201:
            hold: dict[str, Any] = answer.json()
            return hold
        if answer.status != 409:
            return "failed at hold"
        available = answer.json()["error"]["details"].get("available")
        if available == 0:
            return "sold out"
        if available is not None:
            quantity = min(quantity, int(available))  # fewer seats than wanted: take what is left
    return "failed at hold"


async def _flash_fan(
    client: aiohttp.ClientSession, job: Job, sample: Sample, fan: Fan, rng: random.Random
) -> str:
    await asyncio.sleep(rng.uniform(0, job.plan.arrive_over))
    arrived = time.perf_counter()
    admitted = await admission(client, sample, job, fan, rng)
    if admitted is None:
        return "failed at queue"
    wants = rng.randint(1, job.plan.max_quantity)
    hold = await _hold_best(client, sample, job, fan, admitted[0], wants)
    if isinstance(hold, str):
        await leave(client, sample, job, fan)
        return hold
    final = await pay(client, sample, fan, hold)
    if final == "bought":
        sample.latencies_ms.append((time.perf_counter() - arrived) * 1000)
    else:
        await leave(client, sample, job, fan)
    return final


async def _admission_fan(
    client: aiohttp.ClientSession, job: Job, sample: Sample, fan: Fan, rng: random.Random
) -> str:
    await asyncio.sleep(rng.uniform(0, job.plan.arrive_over))
    admitted = await admission(client, sample, job, fan, rng)
    if admitted is None:
        return "failed at queue"
    sample.latencies_ms.append(admitted[1] * 1000)
    await asyncio.sleep(job.plan.shop)
    await leave(client, sample, job, fan)
    return "admitted"


def _every_fan(
    journey: Callable[[aiohttp.ClientSession, Job, Sample, Fan, random.Random], Awaitable[str]],
) -> Callable[[aiohttp.ClientSession, Job, Sample], Awaitable[None]]:
    """A loop running `journey` once for every fan of the job, all at once."""

    async def loop(client: aiohttp.ClientSession, job: Job, sample: Sample) -> None:
        async def one(index: int, fan: Fan) -> None:
            rng = random.Random(job.seed * 1_000_003 + index)  # noqa: S311 - load, not secrets
            sample.finals[await journey(client, job, sample, fan, rng)] += 1

        await asyncio.gather(*(one(i, fan) for i, fan in enumerate(job.fans)))

    return loop


LOOPS: dict[str, Callable[[aiohttp.ClientSession, Job, Sample], Awaitable[None]]] = {
    "admission": _every_fan(_admission_fan),
    "checkout": _checkout_loop,
    "flash": _every_fan(_flash_fan),
}

"""A flash sale over a running cluster: every fan through nginx, from the waiting room to a
paid ticket, retrying what a real client retries, and recording what it saw.

Each fan: join the room and wait for admission → read the seat map, hold 1..max seats (others
racing for the same ones) → reserve → open a sandbox payment window (a fault outcome while
`Faults` is on) → confirm. Transient answers (transport errors, 502/503/504, 429,
IDEMPOTENCY_IN_PROGRESS, QUEUE_RESET) are retried with the same Idempotency-Key; any other
refusal ends the journey with its code. `run_sale` returns every journey; audit.py then says
what each fan ended with, from the services' own tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tiketi.multiproc.scenario import Fan

TRANSIENT_STATUSES = {502, 503, 504, 429}
# How often a waiting fan looks whether the event sold out meanwhile.
SOLD_OUT_LOOK_SECONDS = 10.0
TRANSIENT_CODES = {"IDEMPOTENCY_IN_PROGRESS"}
# Sandbox outcomes while payments misbehave (docs/payments.md): time-outs, provider errors
# that outlast our retries, approvals whose answer is lost, refused cards — and some that work.
FAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("slow", {}),
    ("provider_error", {"failTimes": 5}),
    ("approve_then_500", {}),
    ("reject", {}),
    ("success", {}),
)


@dataclass
class SaleSize:
    """How big a sale is and how patient its fans are."""

    fans: int = 200
    seats: int = 50
    max_tickets: int = 2
    max_active: int = 40
    admit_per_second: float = 100.0
    give_up_seconds: float = 120.0
    # Fans that pick from the first `contention × quantity` free seats: everyone wants the front.
    contention: int = 4
    # Fans arrive evenly over this long (a flash sale is a rush, not one instant).
    arrival_seconds: float = 20.0


@dataclass
class Journey:
    """One fan's way through the sale, as the client saw it."""

    fan: Fan
    steps: list[str] = field(default_factory=list)
    order_id: str | None = None
    outcome: str = "started"  # paid | refused | refunded | payment_unsettled | gave_up
    code: str | None = None  # the refusal's error code
    started: float = field(default_factory=time.monotonic)

    def note(self, step: str) -> None:
        """Record a step (`<seconds since the start> <what> <status> <code>`)."""
        self.steps.append(f"{time.monotonic() - self.started:.1f}s {step}")

    def end(self, outcome: str, code: str | None = None) -> None:
        """The journey's last word."""
        self.outcome, self.code = outcome, code
        self.note(f"end {outcome} {code or ''}".strip())


class Progress:
    """Counters the chaos schedule waits on (an event, never a sleep)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.fans = 0  # journeys in the sale; once all are "finished" nothing more will come
        self._changed = asyncio.Condition()

    @property
    def over(self) -> bool:
        """Every journey has ended."""
        return self.fans > 0 and self.counts["finished"] >= self.fans

    async def add(self, name: str) -> None:
        """One more `name`."""
        async with self._changed:
            self.counts[name] += 1
            self._changed.notify_all()

    async def reached(self, name: str, count: int, timeout: float) -> bool:
        """Wait until `name` counted `count`; False when the timeout came first or the sale
        ended without it."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.counts[name] >= count or self.over),
                    timeout,
                )
        return self.counts[name] >= count


@dataclass
class Faults:
    """Whether payment windows ask the sandbox for fault outcomes right now."""

    on: bool = False
    rng: random.Random = field(default_factory=lambda: random.Random(7))  # noqa: S311

    def pick(self) -> tuple[str, dict[str, Any]]:
        """The outcome of the next payment window."""
        return self.rng.choice(FAULTS) if self.on else ("success", {})


@dataclass(frozen=True)
class Answer:
    """What a request got back (read whole: the sale's answers are small)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.content)


def code_of(response: Answer) -> str | None:
    """The API error code of an answer, if it has one."""
    with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
        return str(response.json()["error"]["code"])
    return None


@dataclass
class Sale:
    """What every journey of one sale shares."""

    # aiohttp, not httpx: with hundreds of fans in flight httpx's pool costs more CPU than the
    # servers it measures (bench/README.md, encode/httpx#3215).
    client: aiohttp.ClientSession
    event_id: str
    size: SaleSize
    progress: Progress = field(default_factory=Progress)
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=lambda: random.Random(11))  # noqa: S311

    async def call(
        self, journey: Journey, what: str, method: str, path: str, *, attempts: int = 12,
        **kwargs: Any,
    ) -> Answer | None:  # fmt: skip
        """A request, retried while the answer is transient; None if nothing ever answered."""
        response: Answer | None = None
        for attempt in range(attempts):
            try:
                async with self.client.request(method, path, **kwargs) as raw:
                    response = Answer(raw.status, raw.headers, await raw.read())
            except (aiohttp.ClientError, TimeoutError) as exc:
                journey.note(f"{what} {type(exc).__name__}")
                await asyncio.sleep(min(2.0, 0.2 * 2**attempt))
                continue
            code = code_of(response)
            journey.note(f"{what} {response.status_code} {code or ''}".strip())
            if response.status_code not in TRANSIENT_STATUSES and code not in TRANSIENT_CODES:
                return response
            retry_after = response.headers.get("retry-after", "")
            delay = float(retry_after) if retry_after.isdigit() else 0.2 * 2**attempt
            await asyncio.sleep(min(2.0, delay) * (0.5 + self.rng.random()))
        return response


async def _sold_out(sale: Sale, journey: Journey) -> bool:
    """What the waiting page shows now and then: the event sold out (then the fan leaves)."""
    event = await sale.call(journey, "event", "GET", f"/api/v1/events/{sale.event_id}", attempts=2)
    return (
        event is not None and event.status_code == 200 and event.json()["sale_state"] == "sold_out"
    )


async def _admission(sale: Sale, journey: Journey, deadline: float) -> str | None:
    """Join the room and wait to be admitted; the admission token (None: refused)."""
    headers = journey.fan.headers
    path = f"/api/v1/queue/{sale.event_id}"
    response = await sale.call(journey, "join", "POST", f"{path}/join", headers=headers)
    looked = time.monotonic()
    while time.monotonic() < deadline:
        if response is None:
            journey.end("gave_up", "NO_ANSWER")
            return None
        code = code_of(response)
        if response.status_code == 200:
            place = response.json()
            if place["status"] == "admitted":
                token: str = place["admission_token"]
                return token
            if time.monotonic() - looked > SOLD_OUT_LOOK_SECONDS:
                looked = time.monotonic()
                if await _sold_out(sale, journey):
                    journey.end("refused", "SOLD_OUT")
                    await _leave(sale, journey)
                    return None
            # Unhurried polling: hundreds of waiting fans must not load the client or
            # the room more than the buying does.
            wait = place.get("eta_seconds") or 1
            await asyncio.sleep(min(4.0, max(1.5, wait)) * (0.5 + sale.rng.random()))
            response = await sale.call(journey, "status", "GET", f"{path}/status", headers=headers)
        elif code in {"QUEUE_RESET", "NOT_IN_QUEUE"}:
            # The room lost the fan's place (or the admission ran out): join again.
            response = await sale.call(journey, "join", "POST", f"{path}/join", headers=headers)
        else:
            journey.end("refused", code or f"HTTP_{response.status_code}")
            return None
    journey.end("gave_up", "STILL_WAITING")
    return None


async def _hold(sale: Sale, journey: Journey, token: str) -> dict[str, Any] | None:
    """Pick free seats from the map and hold them (a few tries when others were quicker)."""
    headers = {**journey.fan.headers, "X-Admission-Token": token}
    for _ in range(5):
        seats = await sale.call(journey, "seats", "GET", f"/api/v1/events/{sale.event_id}/seats")
        if seats is None or seats.status_code != 200:
            journey.end("gave_up", "NO_SEAT_MAP")
            return None
        free = [s["id"] for s in seats.json()["seats"] if s["status"] == "available"]
        if not free:
            journey.end("refused", "SOLD_OUT")
            return None
        quantity = sale.rng.randint(1, sale.size.max_tickets)
        wanted = free[: sale.size.contention * quantity]
        chosen = sale.rng.sample(wanted, min(quantity, len(wanted)))
        body = {"event_id": sale.event_id, "seat_ids": chosen}
        key = {"Idempotency-Key": uuid.uuid4().hex}
        hold = await sale.call(
            journey, "hold", "POST", "/api/v1/holds", json=body, headers={**headers, **key}
        )
        if hold is not None and hold.status_code == 201:
            await sale.progress.add("holds")
            held: dict[str, Any] = hold.json()
            return held
        code = code_of(hold) if hold is not None else "NO_ANSWER"
        # IDEMPOTENCY_IN_PROGRESS for this long: the replica that had the request died with it
        # (its claim outlives it for a while); pick again under a new key.
        if code not in {"SEAT_UNAVAILABLE", "IDEMPOTENCY_IN_PROGRESS"}:
            journey.end("refused", code)
            return None
    journey.end("refused", "SEAT_UNAVAILABLE")
    return None


async def _reserve(sale: Sale, journey: Journey, token: str, hold_id: str) -> dict[str, Any] | None:
    response: Answer | None = None
    for _ in range(2):  # a second key when a dead replica's claim still holds the first
        headers = {**journey.fan.headers, "X-Admission-Token": token,
                   "Idempotency-Key": uuid.uuid4().hex}  # fmt: skip
        response = await sale.call(
            journey, "reserve", "POST", "/api/v1/reservations", json={"hold_id": hold_id},
            headers=headers,
        )  # fmt: skip
        if response is not None and response.status_code == 201:
            await sale.progress.add("reservations")
            reservation: dict[str, Any] = response.json()
            journey.order_id = reservation["id"]
            return reservation
        if response is None or code_of(response) != "IDEMPOTENCY_IN_PROGRESS":
            break
    journey.end("refused", code_of(response) if response is not None else "NO_ANSWER")
    return None


async def _pay_once(sale: Sale, journey: Journey, order: dict[str, Any]) -> Answer | None:
    """Open a payment window (maybe a faulty one) and confirm it."""
    outcome, extra = sale.faults.pick()
    window = await sale.call(
        journey, f"window:{outcome}", "POST", "/sandbox/toss/v1/payments",
        json={"orderId": order["id"], "orderName": "Flash sale", "amount": order["amount"],
              "outcome": outcome, **extra},
    )  # fmt: skip
    if window is None or window.status_code != 201:
        return window
    await sale.progress.add("payments")
    body = {"payment_key": window.json()["paymentKey"], "order_id": order["id"],
            "amount": order["amount"]}  # fmt: skip
    # Few attempts: a repeat returns the first outcome; an unknown one is the reconciler's.
    return await sale.call(
        journey, "confirm", "POST", "/api/v1/payments/confirm", json=body,
        headers=journey.fan.headers, attempts=3,
    )  # fmt: skip


async def _pay(sale: Sale, journey: Journey, order: dict[str, Any]) -> None:
    for _ in range(2):  # a refused card: the fan tries once more (another card)
        response = await _pay_once(sale, journey, order)
        code = code_of(response) if response is not None else "NO_ANSWER"
        if response is not None and response.status_code == 200:
            await sale.progress.add("paid")
            journey.end("paid")
            return
        if code != "PAYMENT_REJECTED":
            break
    if code in {"SEATS_GONE_REFUNDED", "PAYMENT_REFUNDED"}:
        journey.end("refunded", code)
    elif code == "NO_ANSWER" or (response is not None and response.status_code >= 500):
        journey.end("payment_unsettled", code)
    else:
        journey.end("refused", code)


async def _leave(sale: Sale, journey: Journey) -> None:
    """Give the admission back (a fan who did not buy closes the tab or leaves politely)."""
    await sale.call(
        journey, "leave", "DELETE", f"/api/v1/queue/{sale.event_id}",
        headers=journey.fan.headers, attempts=2,
    )  # fmt: skip


async def journey_of(sale: Sale, journey: Journey) -> Journey:
    """One fan's whole way through the sale."""
    deadline = time.monotonic() + sale.size.give_up_seconds
    token = await _admission(sale, journey, deadline)
    if token is None:
        return journey
    hold = await _hold(sale, journey, token)
    order = await _reserve(sale, journey, token, hold["id"]) if hold is not None else None
    if order is None:
        await _leave(sale, journey)
        return journey
    await _pay(sale, journey, order)
    return journey


async def run_sale(
    sale: Sale,
    fans: list[Fan],
    *,
    alongside: Callable[[Sale], Awaitable[Any]] | None = None,
    at_once: int = 200,
) -> list[Journey]:
    """Every fan's journey (at most `at_once` in flight), with `alongside` (the chaos) running
    at the same time; both finish before this returns."""
    gate = asyncio.Semaphore(at_once)
    began = time.monotonic()  # every journey's clock starts with the sale: steps line up
    sale.progress.fans = len(fans)
    spacing = sale.size.arrival_seconds / max(1, len(fans))

    async def one(index: int, fan: Fan) -> Journey:
        await asyncio.sleep(index * spacing)  # this fan's arrival
        async with gate:
            journey = await journey_of(sale, Journey(fan, started=began))
        await sale.progress.add("finished")
        return journey

    side = asyncio.ensure_future(alongside(sale)) if alongside else None
    try:
        journeys = await asyncio.gather(*(one(i, fan) for i, fan in enumerate(fans)))
        if side is not None:
            await side
    finally:
        if side is not None and not side.done():
            side.cancel()
    return list(journeys)

"""The load generator: asyncio + aiohttp in client processes of their own.

aiohttp, not httpx, sends the measured requests: on this machine httpx's AsyncClient reached
100-150 requests/s against the hello-world where aiohttp reached ~1,000 with a third of a core
(encode/httpx#3215), so httpx would have been what the numbers measured. Set-up uses httpx.

A `Job` says what one client process sends: a closed loop (`concurrency` requests in flight until
`count` are done) or an open loop (`rate` requests a second for `duration` seconds, whatever
the answers; latency counts from the scheduled moment, so a slow server cannot hide its queue).
Fans' multi-step journeys (waiting room, checkout, flash sale) are loops of `bench.journeys`
run by the same processes with the same client. Processes start together on a signal and send
back a `Sample`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from queue import Empty
from typing import Any

import aiohttp

from bench.api import Fan

# An open loop gives up on sending more than this many requests in flight (the client, not
# the server, would then be what is measured); such requests are counted as DROPPED.
MAX_IN_FLIGHT = 5000
# Connections per client process of the loops whose requests `concurrency` does not bound
# (open arrivals); others keep `concurrency` connections.
OPEN_CONNECTIONS = {"hold-open": 512, "admission": 1024, "flash": 1024}


@dataclass
class Plan:
    """What a fan's journey does (`bench.journeys`): arrival, waiting room, purchase."""

    # Fans arrive at random moments over this many seconds (0: all at once).
    arrive_over: float = 0.0
    # Proof of work before joining (the platform's TIKETI_QUEUE_POW_DIFFICULTY > 0).
    pow: bool = False
    # A waiting fan asks for its status again after half its ETA, within these bounds.
    poll_min: float = 0.5
    poll_max: float = 10.0
    # admission: seconds an admitted fan keeps the place before giving it back.
    shop: float = 0.0
    # flash-sale: best available seats of this grade, 1..max_quantity of them per fan.
    grade: str = "R"
    max_quantity: int = 4


@dataclass
class Job:
    """What one client process does."""

    kind: str  # "get", "hold-hot", "hold-open", "join", or a journey: "admission", …
    base_url: str
    path: str = "/"
    count: int = 0
    concurrency: int = 1
    rate: float = 0.0
    duration: float = 0.0
    phase: float = 0.0
    event_id: str = ""
    seat_ids: list[int] = field(default_factory=list)
    per_hold: int = 1
    window: int = 256
    fans: list[Fan] = field(default_factory=list)
    seats_per_fan: int = 20
    ips: list[str] = field(default_factory=lambda: ["10.254.0.1"])
    seed: int = 0
    plan: Plan = field(default_factory=Plan)


@dataclass
class Sample:
    """What one client process saw."""

    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    held: list[list[int]] = field(default_factory=list)
    # join: (user id, ticket number) of every 200, to check places are unique per fan.
    places: list[tuple[str, int | None]] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    cpu_seconds: float = 0.0
    body_bytes: int = 0
    # journeys: latency per step ("join", "hold", …); `outcomes` then counts "step status".
    steps: dict[str, list[float]] = field(default_factory=dict)
    # waiting room: (user id, ticket number, waiting since, admitted seen at) in epoch seconds.
    admitted: list[tuple[str, int, float, float]] = field(default_factory=list)
    # seats of confirmed reservations, and when each was confirmed (epoch seconds).
    sold: list[list[int]] = field(default_factory=list)
    sold_at: list[float] = field(default_factory=list)
    # how each fan's journey ended ("bought", "sold out", "failed at hold", …).
    finals: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Answer:
    """A response's status and body."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def outcome(answer: Answer) -> str:
    """`201`, or the status with the error code of the API's error body."""
    if answer.status < 400:
        return str(answer.status)
    try:
        code = answer.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = "?"
    return f"{answer.status} {code}"


async def send(
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    headers: dict[str, str],
    body: str | None = None,
) -> Answer | str:
    """One request; its answer, or the name of the transport error."""
    try:
        async with session.request(method, path, data=body, headers=headers) as response:
            return Answer(response.status, await response.read())
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"ERR {type(exc).__name__}"


class HotSeats:
    """Seats as one client process believes them: every fan aims at the first free ones.

    Fans pick `per_hold` neighbours at random among the first `window` seats not known to be
    taken, so many fans in flight want the same seats (hot contention). What a 201 or a 409's
    `details.seat_ids` says is taken is skipped afterwards. Once nothing looks free, fans keep
    clicking random seats, as latecomers do, and the server keeps answering 409.
    """

    def __init__(self, order: list[int], window: int, per_hold: int, rng: random.Random) -> None:
        self.order = order
        self.window = window
        self.per_hold = per_hold
        self.rng = rng
        self.taken: set[int] = set()
        self.start = 0

    def pick(self) -> list[int]:
        """Seat ids to try next."""
        order, taken = self.order, self.taken
        while self.start < len(order) and order[self.start] in taken:
            self.start += 1
        candidates: list[int] = []
        index = self.start
        while index < len(order) and len(candidates) < self.window:
            if order[index] not in taken:
                candidates.append(order[index])
            index += 1
        if len(candidates) < self.per_hold:
            return sorted(self.rng.sample(order, self.per_hold))
        first = self.rng.randrange(len(candidates) - self.per_hold + 1)
        return candidates[first : first + self.per_hold]


class FanLine:
    """Fans waiting to buy; one leaves once it holds as many seats as it wanted."""

    def __init__(self, fans: list[Fan], wants: int) -> None:
        self.line = deque(fans)
        self.wants = wants
        self.held: Counter[str] = Counter()

    def next(self) -> Fan | None:
        """The next fan in line, or None when everyone is served."""
        return self.line.popleft() if self.line else None

    def satisfied(self, fan: Fan, seats: int) -> bool:
        """Count `seats` more for `fan`; True when it cannot hold another hold's worth."""
        self.held[fan.id] += seats
        return self.held[fan.id] + seats > self.wants


def _record(sample: Sample, started: float, answer: Answer | str) -> None:
    sample.latencies_ms.append((time.perf_counter() - started) * 1000)
    sample.outcomes[outcome(answer) if isinstance(answer, Answer) else answer] += 1


async def _get_loop(client: aiohttp.ClientSession, job: Job, sample: Sample) -> None:
    remaining = [job.count]
    rng = random.Random(job.seed)  # noqa: S311 - picks seats, guards nothing

    async def worker() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            headers = {"X-Forwarded-For": rng.choice(job.ips)}
            started = time.perf_counter()
            answer = await send(client, "GET", job.path, headers)
            if isinstance(answer, Answer):
                sample.body_bytes += len(answer.body)
            _record(sample, started, answer)

    await asyncio.gather(*(worker() for _ in range(job.concurrency)))


async def _hold_hot_loop(client: aiohttp.ClientSession, job: Job, sample: Sample) -> None:
    rng = random.Random(job.seed)  # noqa: S311 - picks seats, guards nothing
    seats = HotSeats(job.seat_ids, job.window, job.per_hold, rng)
    line = FanLine(job.fans, job.seats_per_fan)
    remaining = [job.count]

    async def worker() -> None:
        fan = line.next()
        while fan is not None and remaining[0] > 0:
            remaining[0] -= 1
            wanted = seats.pick()
            body = json.dumps({"event_id": job.event_id, "seat_ids": wanted})
            headers = {**fan.headers, "Content-Type": "application/json"}
            started = time.perf_counter()
            answer = await send(client, "POST", "/api/v1/holds", headers, body)
            _record(sample, started, answer)
            if not isinstance(answer, Answer):
                continue
            if answer.status == 201:
                # All or nothing: a 201 holds exactly the seats asked for.
                seats.taken.update(wanted)
                sample.held.append(wanted)
                if line.satisfied(fan, len(wanted)):
                    fan = line.next()
            elif answer.status == 409:
                seats.taken.update(answer.json()["error"]["details"].get("seat_ids", []))
            elif answer.status == 422:
                fan = line.next()  # TICKET_LIMIT: this fan is done

    await asyncio.gather(*(worker() for _ in range(job.concurrency)))


async def _hold_open_loop(client: aiohttp.ClientSession, job: Job, sample: Sample) -> None:
    total = int(job.rate * job.duration)
    interval = 1 / job.rate
    in_flight: set[asyncio.Task[None]] = set()

    async def one(index: int, scheduled: float) -> None:
        fan = job.fans[index % len(job.fans)]
        wanted = job.seat_ids[index * job.per_hold : (index + 1) * job.per_hold]
        body = json.dumps({"event_id": job.event_id, "seat_ids": wanted})
        headers = {**fan.headers, "Content-Type": "application/json"}
        answer = await send(client, "POST", "/api/v1/holds", headers, body)
        _record(sample, scheduled, answer)
        if isinstance(answer, Answer) and answer.status == 201:
            sample.held.append(wanted)

    origin = time.perf_counter() + job.phase
    for index in range(total):
        scheduled = origin + index * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(in_flight) >= MAX_IN_FLIGHT:
            sample.outcomes["DROPPED"] += 1
            continue
        task = asyncio.create_task(one(index, scheduled))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)


async def _join_loop(client: aiohttp.ClientSession, job: Job, sample: Sample) -> None:
    sent = [0]
    path = f"/api/v1/queue/{job.event_id}/join"

    async def worker() -> None:
        while sent[0] < job.count:
            fan = job.fans[sent[0] % len(job.fans)]
            sent[0] += 1
            started = time.perf_counter()
            answer = await send(client, "POST", path, fan.headers)
            _record(sample, started, answer)
            if isinstance(answer, Answer) and answer.status == 200:
                sample.places.append((fan.id, answer.json()["ticket_number"]))

    await asyncio.gather(*(worker() for _ in range(job.concurrency)))


_LOOPS = {
    "get": _get_loop,
    "hold-hot": _hold_hot_loop,
    "hold-open": _hold_open_loop,
    "join": _join_loop,
}


def _loop(kind: str) -> Any:
    if kind in _LOOPS:
        return _LOOPS[kind]
    # Imported here: bench.journeys builds on this module's Job, Sample and send.
    from bench.journeys import LOOPS

    return LOOPS[kind]


async def _run(job: Job, ready: Any, go: Any) -> Sample:
    connections = OPEN_CONNECTIONS.get(job.kind, max(job.concurrency, 1))
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=60)
    # Bodies stay as sent: the one compressed answer (the seat map, gzip as a browser asks for
    # it) is counted, never parsed, and inflating ~200 KiB per read cost the generator more CPU
    # than the server spent sending it, on the cores the server shares.
    async with aiohttp.ClientSession(
        base_url=job.base_url, connector=connector, timeout=timeout, auto_decompress=False
    ) as client:
        ready.put("ready")
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        sample = Sample(started=time.time())
        cpu = time.process_time()
        await _loop(job.kind)(client, job, sample)
        sample.finished = time.time()
        sample.cpu_seconds = time.process_time() - cpu
    return sample


def _process_main(job: Job, ready: Any, go: Any, results: Any) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        pass
    try:
        results.put(asyncio.run(_run(job, ready, go)))
    except BaseException as exc:  # the parent must hear about it, not hang
        ready.put("ready")
        results.put(RuntimeError(f"client process failed: {exc!r}"))


def _wait(queue: Any, processes: list[Any], timeout: float) -> Any:
    """The next item of `queue`, failing fast if a client process died without one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Empty):
            return queue.get(timeout=1)
        dead = [p for p in processes if p.exitcode not in (None, 0)]
        if dead:
            raise RuntimeError(f"client process exited with {dead[0].exitcode}")
    raise TimeoutError(f"no word from the client processes in {timeout:.0f} s")


def run_jobs(jobs: list[Job], timeout: float = 3600) -> list[Sample]:
    """Run each job in its own client process, all starting together; their samples."""
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    processes = [
        context.Process(target=_process_main, args=(job, ready, go, results), daemon=True)
        for job in jobs
    ]
    for process in processes:
        process.start()
    try:
        for _ in jobs:
            _wait(ready, processes, 120)
        go.set()
        samples = [_wait(results, processes, timeout) for _ in jobs]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    failures = [s for s in samples if isinstance(s, BaseException)]
    if failures:
        raise failures[0]
    return samples


def split(total: int, parts: int) -> list[int]:
    """`total` in `parts` near-equal whole shares."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]

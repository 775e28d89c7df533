"""Watching a waiting room from Redis while a scenario runs: the budget, the pace, the order.

The queue's own state is the ground truth the clients cannot see: `{evt:E}:active` (the fans
counted against `max_active`), the meta's `admitted_total`, the line, and `{evt:E}:admitted`
(user → ticket number). Sampled every `period` seconds from the scenario's process, so the
largest `active` seen is a sampled maximum (the scripts check the budget atomically; a peak
between two samples would be missed, not invented).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from redis.asyncio import Redis

from tiketi.contracts.admission import admitted_key, line_key, meta_key, pre_queue_key, queue_tag


@dataclass
class RoomWatch:
    """What the samples showed."""

    max_active: int = 0
    samples: int = 0
    # (seconds since the watch began, admitted_total), every sample.
    progress: list[tuple[float, int]] = field(default_factory=list)
    # user → (when first seen admitted, ticket number)
    first_seen: dict[str, tuple[float, int]] = field(default_factory=dict)
    waiting_peak: int = 0

    def admitted(self) -> int:
        """Admissions during the watch."""
        return self.progress[-1][1] - self.progress[0][1] if self.progress else 0

    def admitting_seconds(self) -> float:
        """From the last sample before the first admission to the first one after the last."""
        if not self.admitted():
            return 0.0
        first, last = self.progress[0][1], self.progress[-1][1]
        began = max(t for t, total in self.progress if total == first)
        ended = min(t for t, total in self.progress if total == last)
        return ended - began

    def rate(self) -> float:
        """Admissions a second while admitting (the first to the last admission seen)."""
        seconds = self.admitting_seconds()
        return self.admitted() / seconds if seconds > 0 else 0.0

    def peak_rate(self, window: float = 1.0) -> float:
        """The most admissions seen in any `window` seconds, per second."""
        best, start = 0, 0
        for end in range(len(self.progress)):
            while self.progress[end][0] - self.progress[start][0] > window:
                start += 1
            best = max(best, self.progress[end][1] - self.progress[start][1])
        return best / window

    def inversions(self) -> int:
        """Pairs of fans admitted out of ticket order: the higher number seen admitted in an
        earlier sample than the lower one (fans first seen in the same sample are one batch)."""
        order = sorted(self.first_seen.values())
        return _count_inversions([ticket for _, ticket in order])


def _count_inversions(values: list[int]) -> int:
    """Pairs i < j with values[i] > values[j] (merge sort, O(n log n))."""
    if len(values) < 2:
        return 0
    middle = len(values) // 2
    left, right = values[:middle], values[middle:]
    count = _count_inversions(left) + _count_inversions(right)
    left.sort()
    right.sort()
    i = 0
    for value in right:
        while i < len(left) and left[i] <= value:
            i += 1
        count += len(left) - i
    return count


async def _sample(redis: Redis, event_id: str, watch: RoomWatch, began: float) -> None:
    pipe = redis.pipeline(transaction=False)
    pipe.zcard(queue_tag(event_id) + ":active")
    pipe.hget(meta_key(event_id), "admitted_total")
    pipe.zcard(line_key(event_id))
    pipe.scard(pre_queue_key(event_id))
    pipe.hgetall(admitted_key(event_id))
    active, total, line, pre, admitted = await pipe.execute()
    now = time.monotonic() - began
    watch.samples += 1
    watch.max_active = max(watch.max_active, int(active))
    watch.waiting_peak = max(watch.waiting_peak, int(line) + int(pre))
    watch.progress.append((now, int(total or 0)))
    for user, ticket in admitted.items():
        watch.first_seen.setdefault(str(user), (now, int(ticket)))


@contextlib.asynccontextmanager
async def watching(redis_url: str, event_id: str, period: float = 0.05) -> AsyncIterator[RoomWatch]:
    """Sample the room every `period` seconds while the block runs."""
    watch = RoomWatch()
    redis = Redis.from_url(redis_url, decode_responses=True)
    began = time.monotonic()

    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):  # a missed sample is no reason to stop
                await _sample(redis, event_id, watch, began)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=period)

    task = asyncio.create_task(loop())
    try:
        yield watch
    finally:
        stop.set()
        # A flag, not only cancel(): redis-py may turn a cancellation inside a read into a
        # connection error, which the loop would then swallow and carry on forever.
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, timeout=5)
        with contextlib.suppress(Exception):
            await _sample(redis, event_id, watch, began)
        await redis.aclose()

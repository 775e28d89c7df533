"""The admitter: one process at a time (a Redis lease) ticks every room.

Each tick, per queue-enabled event: drop expired admissions, draw the pre-queue at opening,
admit from the head of the line within `max_active` at the controlled rate, tell each admitted
fan, and send the room ONE `queue:progress` (when the serving number moved, or as a heartbeat).
Once a second the control loop reads booking's pressure and moves each event's rate (AIMD).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from tiketi.kernel.streams import raise_if_cancelled
from tiketi.services.queue.adapters import metrics
from tiketi.services.queue.adapters.store import AdmitReply, Lease
from tiketi.services.queue.domain.control import Load, RateTarget, next_rate
from tiketi.services.queue.domain.models import QueueEvent
from tiketi.services.queue.domain.pace import AdmissionPace
from tiketi.services.queue.service.admission import admit_now
from tiketi.services.queue.service.common import Queue, log, utcnow
from tiketi.services.queue.service.opening import open_pre_queue


class Admitter:
    """The tick loop's state: rates, measured paces, what each room was last told."""

    def __init__(
        self, queue: Queue, *, owner: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        settings = queue.settings
        self.queue = queue
        self.clock = clock
        self.lease = Lease(queue.store.redis, owner=owner, ttl=settings.lease_seconds)
        self.target = RateTarget(
            latency_ms=settings.latency_target_ms,
            failure_ratio=settings.failure_ratio,
            floor=settings.min_rate,
            step=settings.rate_step,
        )
        self.rates: dict[str, float] = {}
        self.paces: dict[str, AdmissionPace] = {}
        self._told: dict[str, tuple[int, float]] = {}
        self._purged: set[str] = set()
        self._next_control = 0.0

    async def run(self) -> None:
        """Tick while holding the lease; give it up on the way out."""
        tick = self.queue.settings.tick_seconds
        failures = 0
        try:
            while True:
                raise_if_cancelled()
                try:
                    if await self.lease.hold():
                        await self.tick()
                    failures = 0
                except Exception as exc:  # Redis or PostgreSQL away: back off, then retry
                    failures += 1
                    log.warning("queue_tick_failed", error=str(exc), failures=failures)
                await asyncio.sleep(min(5.0, tick * 2 ** min(failures, 10)))
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.lease.release(), 1.0)

    async def tick(self) -> None:
        """One pass over every room (the control loop first when it is due)."""
        rooms = await self.queue.directory.rooms()
        if self.clock() >= self._next_control:
            await self.control(rooms)
            self._next_control = self.clock() + self.queue.settings.control_seconds
        now = utcnow()
        for event in rooms:
            try:
                await self.step(event, now=now)
            except Exception as exc:  # one broken room must not stall the others
                log.warning("queue_step_failed", event_id=event.id, error=str(exc))

    async def step(self, event: QueueEvent, *, now: datetime | None = None) -> AdmitReply | None:
        """Expire, open, admit and report for one room; None when the room is closed."""
        now = now or utcnow()
        if event.closed(now):
            if event.id not in self._purged:
                await self.queue.store.purge(event.id)
                self._purged.add(event.id)
            return None
        reply, event = await admit_now(self.queue, event)
        if reply.state == "opening" or (reply.state == "open" and not event.drawn):
            # Draw (an empty pre-queue too: the seed is revealed either way), then admit.
            await open_pre_queue(self.queue, event)
            more, event = await admit_now(self.queue, event)
            reply = _merged(reply, more)
        self.rates.setdefault(event.id, reply.rate)
        self._measure(event, reply)
        await self._report(event, reply)
        return reply

    async def control(self, rooms: Sequence[QueueEvent]) -> None:
        """Move each room's admission rate from booking's pressure; publish rate and pace."""
        pressure = await self.queue.store.pressure()
        load = Load(pressure.attempts, pressure.failures, pressure.p95_ms) if pressure else None
        now = utcnow()
        for event in rooms:
            if event.closed(now):
                continue
            current = self.rates.get(event.id) or await self._stored_rate(event)
            rate = next_rate(current, event.admit_per_second, load, self.target)
            self.rates[event.id] = rate
            per_person = self._pace(event).seconds_per_person(rate)
            await self.queue.store.set_pace(event.id, rate=rate, seconds_per_person=per_person)
            metrics.RATE.labels(event.id).set(rate)
            if rate < current:
                log.info("queue_rate_lowered", event_id=event.id, rate=rate, load=str(load))

    async def _stored_rate(self, event: QueueEvent) -> float:
        # A process taking over carries on from the rate the last holder published.
        stored = (await self.queue.store.meta(event.id)).get("rate")
        return float(stored) if stored else event.admit_per_second

    def _pace(self, event: QueueEvent) -> AdmissionPace:
        pace = self.paces.get(event.id)
        if pace is None:
            pace = self.paces[event.id] = AdmissionPace()
        return pace

    def _measure(self, event: QueueEvent, reply: AdmitReply) -> None:
        # From the room's admission counter, not from this step's admissions: most admissions
        # of a room bound by max_active are made by leaves, purchases and joins elsewhere.
        pace = self._pace(event)
        pace.observe(total=reply.admitted_total, now=self.clock(), waiting=reply.waiting)
        metrics.PACE.labels(event.id).set(pace.rate() or 0.0)

    async def _report(self, event: QueueEvent, reply: AdmitReply) -> None:
        now = self.clock()
        told = self._told.get(event.id)
        heartbeat = self.queue.settings.heartbeat_seconds
        if told is not None and told[0] == reply.serving and now - told[1] < heartbeat:
            return
        self._told[event.id] = (reply.serving, now)
        rate = self.rates.get(event.id, event.admit_per_second)
        payload = {
            "event_id": event.id,
            "serving_number": reply.serving,
            "eta_per_person": round(self._pace(event).seconds_per_person(rate), 3),
            "waiting": reply.waiting,
        }
        try:
            await self.queue.notifier.progress(event.id, payload)
        except Exception as exc:  # best effort: status polling still works
            log.warning("queue_progress_not_sent", event_id=event.id, error=str(exc))


def _merged(first: AdmitReply, second: AdmitReply) -> AdmitReply:
    return AdmitReply(
        admitted=[*first.admitted, *second.admitted],
        dropped=first.dropped + second.dropped,
        serving=second.serving,
        waiting=second.waiting,
        active=second.active,
        state=second.state,
        rate=second.rate,
        admitted_total=second.admitted_total,
    )

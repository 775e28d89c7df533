"""Redis losing the room, the control loop under a slow booking, the admitter's lease, and
catalog's events applied once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.api.queue.support import (
    RecordingNotifier,
    eventually,
    install,
    lose_state,
    queue_settings,
    room,
)
from tests.integration.queue.conftest import fans
from tiketi.contracts.catalog import EventUpdated, QueuePolicyInfo
from tiketi.contracts.pressure import PRESSURE_KEY, BookingPressure
from tiketi.kernel.runtime import Runtime
from tiketi.services.queue.adapters.store import Lease, keys
from tiketi.services.queue.api.deps import QueueDeps
from tiketi.services.queue.domain.errors import NotInQueue, QueueReset
from tiketi.services.queue.domain.models import PlaceStatus
from tiketi.services.queue.service import joining
from tiketi.services.queue.service.admission import admit_now
from tiketi.services.queue.service.admitter import Admitter
from tiketi.services.queue.service.common import Queue
from tiketi.services.queue.service.events import event_handlers

IP = "192.0.2.1"


async def _epoch(runtime: Runtime, event_id: str) -> int:
    async with runtime.db.engine.connect() as conn:
        value = await conn.scalar(
            sa.text("SELECT epoch FROM queue.events WHERE id = :id"), {"id": uuid.UUID(event_id)}
        )
    return int(value)


async def test_fans_who_lost_their_place_hear_queue_reset_not_a_silent_new_place(
    runtime: Runtime, queue: Queue, admitter: Admitter
) -> None:
    event = room(max_active=1, rate=100)
    await install(runtime.db, event)
    first, second = fans(2)
    for fan in (first, second):
        await joining.join(queue=queue, user_id=fan, event_id=event.event_id, client_ip=IP)
    assert await _epoch(runtime, event.event_id) == 1
    with pytest.raises(NotInQueue):  # before the loss: an ordinary "no place"
        await joining.status(queue=queue, user_id=fans(1)[0], event_id=event.event_id)

    await lose_state(runtime.redis, event.event_id)

    with pytest.raises(QueueReset) as lost:
        await joining.status(queue=queue, user_id=second, event_id=event.event_id)
    assert lost.value.status == 409 and lost.value.details == {"epoch": 2}
    with pytest.raises(QueueReset):  # and again: the state was re-created once, not per call
        await joining.status(queue=queue, user_id=first, event_id=event.event_id)
    assert await _epoch(runtime, event.event_id) == 2
    # The admitter carries on; the admission ledger booking reads was lost with the room.
    assert await admitter.step(await queue.directory.require(event.event_id)) is not None
    assert not await runtime.redis.exists(keys(event.event_id)[6])
    # Joining again is an explicit new place.
    again = await joining.join(queue=queue, user_id=second, event_id=event.event_id, client_ip=IP)
    assert again.ticket_number == 1 and again.status == PlaceStatus.ADMITTED


async def test_a_process_with_an_old_copy_of_the_epoch_follows_the_new_one(
    runtime: Runtime, queue: Queue, notifier: RecordingNotifier
) -> None:
    event = room()
    await install(runtime.db, event)
    stale = await queue.directory.require(event.event_id)
    await joining.join(queue=queue, user_id=fans(1)[0], event_id=event.event_id, client_ip=IP)
    await lose_state(runtime.redis, event.event_id)
    other = QueueDeps(settings=queue_settings(), notifier=notifier).queue(runtime)
    await joining.join(queue=other, user_id=fans(1)[0], event_id=event.event_id, client_ip=IP)
    assert await _epoch(runtime, event.event_id) == 2

    reply, fresh = await admit_now(queue, stale)  # epoch 1 in hand, 2 in Redis

    assert fresh.epoch == 2 and reply.state == "open"
    assert await _epoch(runtime, event.event_id) == 2  # followed, not bumped again


def _report(p95_ms: float, failures: int = 0) -> str:
    return BookingPressure(
        process="booking-test", at=datetime.now(UTC), window_seconds=1.0, attempts=200,
        failures=failures, p95_ms=p95_ms,
    ).encode()  # fmt: skip


async def test_a_slow_booking_lowers_the_admission_rate_and_a_healthy_one_restores_it(
    runtime: Runtime, queue: Queue, admitter: Admitter
) -> None:
    event = room(max_active=100_000, rate=200)
    await install(runtime.db, event)
    stored = await queue.directory.require(event.event_id)
    await admit_now(queue, stored)  # the room's state exists
    meta = keys(event.event_id)[0]
    rates = []
    try:
        await runtime.redis.hset(PRESSURE_KEY, "booking-test", _report(p95_ms=900))
        for _ in range(4):
            await admitter.control([stored])
            rates.append(float(await runtime.redis.hget(meta, "rate") or 0))
        assert rates == [100, 50, 25, 12.5]
        # Admissions follow the lowered rate: a long line gets about one second's worth.
        for fan in fans(100):
            await joining.join(queue=queue, user_id=fan, event_id=event.event_id, client_ip=IP)
        reply, _ = await admit_now(queue, stored)
        assert len(reply.admitted) <= 13

        await runtime.redis.hset(PRESSURE_KEY, "booking-test", _report(p95_ms=30, failures=40))
        await admitter.control([stored])  # 20 % of holds failing is unhealthy too
        assert admitter.rates[event.event_id] == 6.25

        await runtime.redis.hset(PRESSURE_KEY, "booking-test", _report(p95_ms=30))
        for _ in range(10):
            await admitter.control([stored])
        assert admitter.rates[event.event_id] == 200
        assert float(await runtime.redis.hget(meta, "rate") or 0) == 200
    finally:
        await runtime.redis.hdel(PRESSURE_KEY, "booking-test")


async def test_one_admitter_at_a_time_and_a_takeover_when_it_dies(runtime: Runtime) -> None:
    key = f"queue:test-lease:{uuid.uuid4().hex}"
    first = Lease(runtime.redis, owner="a", ttl=0.3, key=key)
    second = Lease(runtime.redis, owner="b", ttl=0.3, key=key)

    assert await first.hold() and await first.hold()  # taken, then renewed
    assert not await second.hold()
    await first.release()
    assert await second.hold()
    # `second` dies without releasing: `first` takes over once the lease runs out.
    await eventually(first.hold, timeout=5)
    assert not await second.hold()


async def test_the_admitter_worker_ticks_only_under_the_lease(
    runtime: Runtime, queue: Queue, notifier: RecordingNotifier
) -> None:
    event = room(max_active=1, rate=100)
    await install(runtime.db, event)
    a, b = fans(2)
    for fan in (a, b):
        await joining.join(queue=queue, user_id=fan, event_id=event.event_id, client_ip=IP)
    # b waits for a's place; a's admission ends outside any request (as an expiry would).
    await queue.store.end_admission(event.event_id, a)
    worker = Admitter(queue, owner="worker-test")
    task = asyncio.ensure_future(worker.run())

    async def admitted_here() -> str:
        # The worker looks after every room in the database; this test watches its own.
        while True:
            user, payload = await notifier.admissions.get()
            if payload["event_id"] == event.event_id:
                return user

    try:
        assert await asyncio.wait_for(admitted_here(), timeout=10) == b
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert not await runtime.redis.exists("queue:admitter:lease")  # given up on the way out
    progress = [p for e, p in notifier.sent_progress if e == event.event_id]
    assert progress and progress[-1]["serving_number"] == 2


async def test_catalog_events_keep_the_first_seed_and_take_policy_changes(
    runtime: Runtime, queue: Queue
) -> None:
    event = room(max_active=5, rate=10)
    handlers = event_handlers(lambda: queue)
    async with runtime.db.sessions() as session, session.begin():
        await handlers[type(event)](event, session)
    first = await queue.directory.require(event.event_id)
    async with runtime.db.sessions() as session, session.begin():
        await handlers[type(event)](event, session)  # a replay never draws a new seed
    assert (await queue.directory.require(event.event_id)).commitment == first.commitment
    update = EventUpdated(
        event_id=event.event_id, organizer_id=event.organizer_id, title="t",
        starts_at=event.starts_at, ends_at=event.ends_at,
        sale_opens_at=event.sale_opens_at - timedelta(minutes=5),
        sale_closes_at=event.sale_closes_at, max_tickets_per_user=4,
        queue=QueuePolicyInfo(enabled=True, max_active=7, admit_per_second=3),
        changed=["queue"],
    )  # fmt: skip
    async with runtime.db.sessions() as session, session.begin():
        await handlers[EventUpdated](update, session)
    changed = await queue.directory.require(event.event_id)
    assert (changed.max_active, changed.admit_per_second) == (7, 3)
    assert changed.sale_opens_at == update.sale_opens_at

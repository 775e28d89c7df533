"""Joining, admission, leaving and the max_active budget against real Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from tests.api.queue.support import (
    QUEUE_KEY,
    RecordingNotifier,
    eventually,
    install,
    live_admissions,
    queue_settings,
    room,
)
from tests.integration.queue.conftest import fans
from tiketi.contracts.admission import admitted_key, verify_admission_token
from tiketi.contracts.booking import ReservationConfirmed, SeatsReleased
from tiketi.contracts.catalog import EventCanceled
from tiketi.kernel.runtime import Runtime
from tiketi.services.queue.api.deps import QueueDeps
from tiketi.services.queue.domain.errors import (
    EventNotFound,
    NotInQueue,
    QueueClosed,
    QueueDisabled,
)
from tiketi.services.queue.domain.models import Phase, PlaceStatus
from tiketi.services.queue.service import joining
from tiketi.services.queue.service.admission import admit_now
from tiketi.services.queue.service.common import Queue
from tiketi.services.queue.service.events import event_handlers

IP = "203.0.113.7"


async def _join(queue: Queue, user: str, event_id: str) -> joining.Place:
    return await joining.join(queue=queue, user_id=user, event_id=event_id, client_ip=IP)


async def test_a_quiet_event_admits_at_once_with_a_current_token(
    runtime: Runtime, queue: Queue
) -> None:
    event = room(max_active=10, rate=100)
    await install(runtime.db, event)
    [fan] = fans(1)

    place = await _join(queue, fan, event.event_id)

    assert place.status == PlaceStatus.ADMITTED and place.phase == Phase.OPEN
    assert place.ticket_number == 1 and place.position == 0 and place.serving_number == 1
    assert place.admission_token and place.admission_expires_at
    admission = verify_admission_token(
        place.admission_token, key=QUEUE_KEY, user_id=fan, event_id=event.event_id
    )
    assert admission.jti == "1" and admission.expires_at == place.admission_expires_at
    assert await runtime.redis.hget(admitted_key(event.event_id), fan) == "1"
    # Asked again, the same token (re-signed from the stored expiry).
    again = await joining.status(queue=queue, user_id=fan, event_id=event.event_id)
    assert again.admission_token == place.admission_token


async def test_joining_again_keeps_the_place(runtime: Runtime, queue: Queue) -> None:
    event = room(max_active=1, rate=100)
    await install(runtime.db, event)
    first, second, third = fans(3)

    places = [await _join(queue, fan, event.event_id) for fan in (first, second, third)]
    again = [await _join(queue, fan, event.event_id) for fan in (first, second, third)]

    assert [p.ticket_number for p in places] == [1, 2, 3]
    assert [p.status for p in places] == ["admitted", "waiting", "waiting"]
    assert [(p.ticket_number, p.position) for p in again] == [(1, 0), (2, 0), (3, 1)]
    assert again[2].eta_seconds is not None and again[2].eta_seconds >= 1
    with pytest.raises(NotInQueue):
        await joining.status(queue=queue, user_id=fans(1)[0], event_id=event.event_id)


async def test_unknown_disabled_early_closed_and_canceled_rooms(
    runtime: Runtime, queue: Queue
) -> None:
    [fan] = fans(1)
    with pytest.raises(EventNotFound):
        await _join(queue, fan, "not-a-uuid")
    with pytest.raises(EventNotFound):
        await _join(queue, fan, fans(1)[0])
    disabled = room(enabled=False)
    early = room(opens_in=timedelta(hours=3))
    closed = room(opens_in=timedelta(hours=-3), closes_in=timedelta(seconds=-1))
    for event in (disabled, early, closed):
        await install(runtime.db, event)
    with pytest.raises(QueueDisabled):
        await _join(queue, fan, disabled.event_id)
    with pytest.raises(QueueClosed) as too_early:
        await _join(queue, fan, early.event_id)
    assert too_early.value.details["reason"] == "not_open_yet"
    with pytest.raises(QueueClosed) as over:
        await _join(queue, fan, closed.event_id)
    assert over.value.details["reason"] == "sale_closed"
    canceled = room()
    await install(runtime.db, canceled)
    handlers = event_handlers(lambda: queue)
    cancel = EventCanceled(
        event_id=canceled.event_id, organizer_id=canceled.organizer_id, title="x",
        canceled_at=canceled.occurred_at,
    )  # fmt: skip
    async with runtime.db.sessions() as session, session.begin():
        await handlers[EventCanceled](cancel, session)
    with pytest.raises(QueueClosed) as gone:
        await _join(queue, fan, canceled.event_id)
    assert gone.value.details["reason"] == "event_canceled"


async def test_leaving_gives_the_admission_back_and_admits_the_next_fan_at_once(
    runtime: Runtime, queue: Queue, notifier: RecordingNotifier
) -> None:
    event = room(max_active=1, rate=100)
    await install(runtime.db, event)
    first, second = fans(2)
    await _join(queue, first, event.event_id)
    waiting = await _join(queue, second, event.event_id)
    assert waiting.status == PlaceStatus.WAITING

    await joining.leave(queue=queue, user_id=first, event_id=event.event_id)

    # No admitter tick ran: the leave itself admitted the next fan.
    assert notifier.admitted_users() == [second]
    _, payload = notifier.sent_admitted[0]
    assert payload["event_id"] == event.event_id and payload["expires_at"]
    verify_admission_token(
        payload["admission_token"], key=QUEUE_KEY, user_id=second, event_id=event.event_id
    )
    assert await runtime.redis.hget(admitted_key(event.event_id), first) is None
    assert await runtime.redis.hget(admitted_key(event.event_id), second) == "2"
    with pytest.raises(NotInQueue):
        await joining.status(queue=queue, user_id=first, event_id=event.event_id)
    # Idempotent, and a fan without a place may leave too.
    await joining.leave(queue=queue, user_id=first, event_id=event.event_id)
    # Coming back after leaving is a new place at the back.
    back = await _join(queue, first, event.event_id)
    assert back.ticket_number == 3 and back.status == PlaceStatus.WAITING


async def test_a_purchase_or_an_expired_hold_ends_the_admission_at_once(
    runtime: Runtime, queue: Queue, notifier: RecordingNotifier
) -> None:
    event = room(max_active=1, rate=100)
    await install(runtime.db, event)
    a, b, c = fans(3)
    for fan in (a, b, c):
        await _join(queue, fan, event.event_id)
    handlers = event_handlers(lambda: queue)
    bought = ReservationConfirmed(
        reservation_id="r-1", event_id=event.event_id, user_id=a, seat_ids=[1], amount=1,
        payment_key="pk",
    )  # fmt: skip
    released = SeatsReleased(event_id=event.event_id, seat_ids=[1], reason="released", user_id=b)
    expired = SeatsReleased(event_id=event.event_id, seat_ids=[1], reason="expired", user_id=b)

    async with runtime.db.sessions() as session:
        await handlers[ReservationConfirmed](bought, session)
        assert notifier.admitted_users() == [b]
        await handlers[SeatsReleased](released, session)  # the fan let go: still shopping
        assert notifier.admitted_users() == [b]
        await handlers[SeatsReleased](expired, session)
        assert notifier.admitted_users() == [b, c]
        await handlers[SeatsReleased](expired, session)  # redelivered: nothing more
    assert notifier.admitted_users() == [b, c]
    assert await runtime.redis.hkeys(admitted_key(event.event_id)) == [c]


async def test_expired_admissions_leave_the_ledger_and_make_room(
    runtime: Runtime, notifier: RecordingNotifier
) -> None:
    queue = QueueDeps(settings=queue_settings(admission_seconds=1), notifier=notifier).queue(
        runtime
    )
    event = room(max_active=1, rate=100)
    await install(runtime.db, event)
    first, second = fans(2)
    await _join(queue, first, event.event_id)
    await _join(queue, second, event.event_id)
    stored = await queue.directory.require(event.event_id)

    async def expired_and_replaced() -> bool:
        reply, _ = await admit_now(queue, stored)
        return reply.dropped == 1 and [a.user_id for a in reply.admitted] == [second]

    await eventually(expired_and_replaced, timeout=5)
    assert await runtime.redis.hkeys(admitted_key(event.event_id)) == [second]
    with pytest.raises(NotInQueue):
        await joining.status(queue=queue, user_id=first, event_id=event.event_id)


async def test_admitted_and_active_never_exceed_max_active_under_joins_leaves_and_expiries(
    runtime: Runtime, notifier: RecordingNotifier
) -> None:
    max_active = 5
    queue = QueueDeps(settings=queue_settings(admission_seconds=1), notifier=notifier).queue(
        runtime
    )
    event = room(max_active=max_active, rate=10_000)
    await install(runtime.db, event)
    people = fans(50)
    leavers = set(random.Random(5).sample(people, 40))
    stored = await queue.directory.require(event.event_id)
    samples: list[int] = []
    ledger: list[int] = []
    done = asyncio.Event()

    async def monitor() -> None:
        # The ledger booking reads holds exactly the admissions counted against the budget
        # (expired ones included until dropped), so it never exceeds max_active either.
        while not done.is_set():
            samples.append(await live_admissions(runtime.redis, event.event_id))
            ledger.append(await runtime.redis.hlen(admitted_key(event.event_id)))
            await asyncio.sleep(0)

    async def ticking() -> None:
        while not done.is_set():
            await admit_now(queue, stored)
            await asyncio.sleep(0.02)

    async def shoppers() -> None:
        # Admitted leavers give their place back at once; the others let it expire.
        seen: set[str] = set()
        leaving: list[asyncio.Future[None]] = []
        while len(seen) < len(people):
            user, _ = await notifier.admissions.get()
            assert user not in seen, "admitted twice"
            seen.add(user)
            if user in leavers:
                leaving.append(
                    asyncio.ensure_future(
                        joining.leave(queue=queue, user_id=user, event_id=event.event_id)
                    )
                )
        await asyncio.gather(*leaving)

    watchers = [asyncio.ensure_future(monitor()), asyncio.ensure_future(ticking())]
    try:
        places = await asyncio.gather(*(_join(queue, fan, event.event_id) for fan in people))
        for place, fan in zip(places, people, strict=True):
            if place.status == PlaceStatus.ADMITTED:
                notifier.admissions.put_nowait((fan, {}))
        await asyncio.wait_for(shoppers(), timeout=60)
    finally:
        done.set()
        await asyncio.gather(*watchers)
    assert sorted(p.ticket_number or 0 for p in places) == list(range(1, 51))
    assert max(samples) <= max_active and max(ledger) <= max_active
    assert max(samples) == max_active  # the budget was used, not just respected

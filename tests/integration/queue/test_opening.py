"""The pre-queue: joined before the sale, drawn fairly at opening, crash-safe, verifiable."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.api.queue.support import install, move_opening, room
from tests.integration.queue.conftest import fans
from tiketi.kernel.runtime import Runtime
from tiketi.services.queue.adapters.store import keys
from tiketi.services.queue.domain.fairness import anonymise, commitment, shuffle, verify
from tiketi.services.queue.domain.models import Phase, PlaceStatus
from tiketi.services.queue.service import joining, opening
from tiketi.services.queue.service.admitter import Admitter
from tiketi.services.queue.service.common import Queue

IP = "198.51.100.1"


async def _join(queue: Queue, user: str, event_id: str) -> joining.Place:
    return await joining.join(queue=queue, user_id=user, event_id=event_id, client_ip=IP)


async def _pre_queue(runtime: Runtime, queue: Queue, count: int) -> tuple[str, list[str]]:
    event = room(max_active=1000, rate=1000, opens_in=timedelta(minutes=10))
    await install(runtime.db, event)
    people = fans(count)
    for fan in people:
        place = await _join(queue, fan, event.event_id)
        assert place.phase == Phase.PRE_QUEUE and place.ticket_number is None
        assert place.status == PlaceStatus.WAITING and place.position is None
    return event.event_id, people


async def test_the_pre_queue_is_drawn_at_opening_and_anyone_can_check_the_draw(
    runtime: Runtime, queue: Queue, admitter: Admitter
) -> None:
    event_id, people = await _pre_queue(runtime, queue, 30)
    before = await opening.fairness(queue, event_id)
    assert before.seed is None and before.joiners == [] and before.order == []
    again = await _join(queue, people[0], event_id)
    assert again.phase == Phase.PRE_QUEUE

    await move_opening(runtime.db, event_id)
    late = fans(1)[0]
    late_place = await _join(queue, late, event_id)  # the first join after opening freezes
    assert late_place.ticket_number == 31
    await admitter.step(await queue.directory.require(event_id))

    record = await opening.fairness(queue, event_id)
    assert record.seed is not None and commitment(record.seed) == before.commitment
    names = {anonymise(event_id, fan): fan for fan in people}
    assert record.joiners == sorted(names)
    assert verify(record.seed, record.commitment, record.joiners, record.order)
    # Ticket t + 1 went to order[t]; every pre-queue fan was admitted in that order.
    for ticket, name in enumerate(record.order, start=1):
        place = await joining.status(queue=queue, user_id=names[name], event_id=event_id)
        assert place.ticket_number == ticket and place.status == PlaceStatus.ADMITTED
    assert (await joining.status(queue=queue, user_id=late, event_id=event_id)).ticket_number == 31


async def test_a_draw_interrupted_by_a_crash_is_finished_the_same_way(
    runtime: Runtime, queue: Queue, admitter: Admitter, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_id, people = await _pre_queue(runtime, queue, 9)
    await move_opening(runtime.db, event_id)
    event = await queue.directory.require(event_id)
    await _join(queue, fans(1)[0], event_id)  # freezes: tickets 1..9 reserved
    leaver = people[4]
    await joining.leave(queue=queue, user_id=leaver, event_id=event_id)  # before its number
    monkeypatch.setattr(opening, "ASSIGN_BATCH", 4)
    real_assign = queue.store.assign
    calls = 0

    async def crashing(*args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("the process died here")
        return await real_assign(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(queue.store, "assign", crashing)
    with pytest.raises(ConnectionError):
        await opening.open_pre_queue(queue, event)
    assert await runtime.redis.hget(keys(event_id)[0], "state") == "opening"

    await opening.open_pre_queue(queue, event)  # the redo (another admitter, or the next tick)

    record = await opening.fairness(queue, event_id)
    assert record.order == shuffle(record.seed or "", record.joiners)
    line = await runtime.redis.zrange(keys(event_id)[1], 0, -1, withscores=True)
    names = {anonymise(event_id, fan): fan for fan in people}
    expected = [
        (names[name], float(ticket))
        for ticket, name in enumerate(record.order, start=1)
        if names[name] != leaver
    ]
    assert [(user, score) for user, score in line if score <= 9] == expected
    assert await runtime.redis.hget(keys(event_id)[0], "state") == "open"
    await admitter.step(await queue.directory.require(event_id))
    assert not await runtime.redis.exists(keys(event_id)[3])  # the frozen set is gone


async def test_an_empty_pre_queue_opens_at_once_and_still_reveals_its_seed(
    runtime: Runtime, queue: Queue, admitter: Admitter
) -> None:
    event = room(opens_in=timedelta(minutes=-1))
    await install(runtime.db, event)
    place = await _join(queue, fans(1)[0], event.event_id)
    assert place.status == PlaceStatus.ADMITTED and place.ticket_number == 1

    await admitter.step(await queue.directory.require(event.event_id))

    record = await opening.fairness(queue, event.event_id)
    assert record.seed is not None and record.joiners == [] and record.order == []


async def test_joins_racing_the_opening_and_two_admitters_drawing_at_once(
    runtime: Runtime, queue: Queue, admitter: Admitter
) -> None:
    event_id, early = await _pre_queue(runtime, queue, 40)
    late = fans(40)
    other = Admitter(queue, owner="second-admitter")
    await move_opening(runtime.db, event_id)
    event = await queue.directory.require(event_id)

    # Late fans, pre-queue fans joining again, and two admitters (a lease handover) at once.
    results = await asyncio.gather(
        *(_join(queue, fan, event_id) for fan in late),
        *(_join(queue, fan, event_id) for fan in early),
        admitter.step(event),
        other.step(event),
        admitter.step(event),
    )
    await admitter.step(await queue.directory.require(event_id))

    record = await opening.fairness(queue, event_id)
    names = {anonymise(event_id, fan): fan for fan in early}
    assert record.seed and verify(record.seed, record.commitment, record.joiners, record.order)
    expected = {names[name]: ticket for ticket, name in enumerate(record.order, start=1)}
    tickets = {}
    for fan in early + late:
        place = await joining.status(queue=queue, user_id=fan, event_id=event_id)
        tickets[fan] = place.ticket_number
    assert {fan: tickets[fan] for fan in early} == expected
    assert sorted(tickets[fan] or 0 for fan in late) == list(range(41, 81))
    late_places = results[:40]
    assert all(isinstance(p, joining.Place) and p.phase == Phase.OPEN for p in late_places)

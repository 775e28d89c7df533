"""The projection: any order, any repetition of the messages gives the same figures; a drain
of the real streams gives them too, and a rebuild from the streams gives them again."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime

from tests.integration.stats.support import assert_story_figures, expected_sales, send, story
from tiketi.contracts.admission import line_key, meta_key, pre_queue_key
from tiketi.contracts.catalog import EventCanceled
from tiketi.contracts.events import IntegrationEvent
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.streams import Subscription, drain
from tiketi.services.stats.adapters.orm import SCHEMA
from tiketi.services.stats.adapters.projection import Projection
from tiketi.services.stats.service.common import Stats
from tiketi.services.stats.service.projection import stats_handlers
from tiketi.services.stats.service.reads import compute_event
from tiketi.services.stats.service.rebuild import rebuild


async def _apply(runtime: Runtime, events: list[IntegrationEvent]) -> None:
    handlers = stats_handlers()
    for event in events:
        async with runtime.db.sessions() as session, session.begin():
            await handlers[type(event)](event, session)


async def _clear(runtime: Runtime) -> None:
    async with runtime.db.sessions() as session, session.begin():
        await Projection(session).clear()


async def test_any_order_and_repeats_give_the_same_figures(runtime: Runtime, stats: Stats) -> None:
    event, events = story()
    await _clear(runtime)
    await _apply(runtime, [event, *events])
    in_order, organizer = await compute_event(stats=stats, event_id=uuid.UUID(event.event_id))
    assert organizer == event.organizer_id
    assert_story_figures(in_order, event)
    assert in_order["sales"] == expected_sales(event, events)
    assert in_order["queue"] == {"waiting": 0, "admitted_total": 0, "admit_per_second": 0.0}

    for seed in range(3):
        shuffled: list[IntegrationEvent] = [event, *events, *events[::2]]
        random.Random(seed).shuffle(shuffled)
        await _clear(runtime)
        await _apply(runtime, shuffled)
        again, _ = await compute_event(stats=stats, event_id=uuid.UUID(event.event_id))
        assert again == in_order, seed


async def test_queue_figures_come_from_the_waiting_rooms_keys(
    runtime: Runtime, stats: Stats
) -> None:
    event, _ = story()
    await _apply(runtime, [event])
    eid = event.event_id
    body, _ = await compute_event(stats=stats, event_id=uuid.UUID(eid))
    assert body["queue"] == {"waiting": 0, "admitted_total": 0, "admit_per_second": 0.0}
    await runtime.redis.hset(meta_key(eid), mapping={"admitted_total": 56, "rate": 12.5})
    await runtime.redis.zadd(line_key(eid), {f"fan-{i}": i for i in range(1200)})
    await runtime.redis.sadd(pre_queue_key(eid), *[f"early-{i}" for i in range(34)])
    body, _ = await compute_event(stats=stats, event_id=uuid.UUID(eid))
    assert body["queue"] == {"waiting": 1234, "admitted_total": 56, "admit_per_second": 12.5}
    assert body["seats"] == {"total": 20, "available": 20, "held": 0, "sold": 0}
    assert body["sales"] == []


async def test_drained_streams_and_a_rebuild_give_the_story_figures(
    runtime: Runtime, stats: Stats
) -> None:
    event, events = story()
    group = Subscription(group="stats", schema=SCHEMA, handlers=stats_handlers())
    # Sent twice: the second copies have new message ids, as if a relay re-sent a batch with
    # ids it had not recorded; the facts make them harmless.
    await send(runtime.redis, event, *events)
    await send(runtime.redis, *[e.model_copy(update={"message_id": uuid.uuid4()}) for e in events])
    async with asyncio.timeout(60):
        await drain(runtime, group)
    live, _ = await compute_event(stats=stats, event_id=uuid.UUID(event.event_id))
    assert_story_figures(live, event)

    async with asyncio.timeout(120):
        replayed = await rebuild(runtime)
    assert replayed.applied >= len(events) + 1
    rebuilt, _ = await compute_event(stats=stats, event_id=uuid.UUID(event.event_id))
    assert rebuilt == live
    groups = await runtime.redis.xinfo_groups("tiketi:events:EventPublished")
    assert [g["name"] for g in groups if g["name"].startswith("stats-rebuild-")] == []


async def test_a_canceled_event_keeps_its_seats_whichever_message_came_first(
    runtime: Runtime, stats: Stats
) -> None:
    event, _ = story()
    canceled = EventCanceled(
        event_id=event.event_id,
        organizer_id=event.organizer_id,
        title=event.title,
        canceled_at=datetime.now(UTC),
    )
    await _apply(runtime, [canceled, event, canceled])
    body, _ = await compute_event(stats=stats, event_id=uuid.UUID(event.event_id))
    assert body["status"] == "canceled"
    assert body["seats"] == {"total": 20, "available": 20, "held": 0, "sold": 0}
    assert sorted(line["grade"] for line in body["by_grade"]) == ["R", "VIP"]


async def test_a_rebuild_beside_the_live_group_ends_on_the_same_figures(
    runtime: Runtime, stats: Stats
) -> None:
    event, events = story()
    live = Subscription(group="stats", schema=SCHEMA, handlers=stats_handlers())
    await send(runtime.redis, event, *events)
    # Both apply the same facts at once, into tables the rebuild empties first.
    async with asyncio.timeout(120):
        await asyncio.gather(
            rebuild(runtime), drain(runtime, live, consumer_name="live-beside-rebuild")
        )
    body, _ = await compute_event(stats=stats, event_id=uuid.UUID(event.event_id))
    assert_story_figures(body, event)
    assert body["sales"] == expected_sales(event, events)


async def test_a_transaction_announces_each_changed_event_once_after_it_commits(
    runtime: Runtime,
) -> None:
    first, first_events = story()
    second, second_events = story()
    announced: list[uuid.UUID] = []
    handlers = stats_handlers(changed=lambda: announced.append)
    async with runtime.db.sessions() as session:
        async with session.begin():
            for event in [first, second, *first_events, *second_events]:
                await handlers[type(event)](event, session)
            assert announced == []  # nothing is announced before the commit
        assert sorted(announced) == sorted([uuid.UUID(first.event_id), uuid.UUID(second.event_id)])
        # The session's next transaction starts clean: only what it changes is announced.
        async with session.begin():
            await handlers[type(first)](first, session)
        assert announced[2:] == [uuid.UUID(first.event_id)]
        async with session.begin():
            await handlers[type(second)](second, session)
            await session.rollback()
        assert announced[3:] == []
        async with session.begin():  # what the rolled-back transaction changed is forgotten
            await handlers[type(first)](first, session)
        assert announced[3:] == [uuid.UUID(first.event_id)]

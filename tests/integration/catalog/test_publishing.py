"""Publishing: the status and EventPublished commit together; concurrent writers serialise."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from tests.integration.catalog.conftest import UowFactory, make_event, make_venue, spec_for
from tiketi.contracts.catalog import EventPublished
from tiketi.kernel.db import Database
from tiketi.kernel.errors import DomainError
from tiketi.kernel.tokens import Principal
from tiketi.services.catalog.adapters.cache import CatalogCache
from tiketi.services.catalog.domain.errors import EventIsCanceled, EventIsPublished
from tiketi.services.catalog.domain.events import Grade
from tiketi.services.catalog.service import events as cases
from tiketi.services.catalog.service.common import utcnow


async def outbox(db: Database, event_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT event_type, payload FROM catalog.outbox "
                "WHERE payload->>'event_id' = :e ORDER BY id"
            ),
            {"e": event_id},
        )
        return [(row.event_type, row.payload) for row in rows]


async def status_of(db: Database, event_id: str) -> str:
    async with db.engine.connect() as conn:
        status: str = await conn.scalar(
            text("SELECT status FROM catalog.events WHERE id = :e"), {"e": uuid.UUID(event_id)}
        )
    return status


async def publish(new_uow: UowFactory, cache: CatalogCache, actor: Principal, event_id: str) -> Any:
    return await cases.publish_event(
        uow=new_uow(), cache=cache, actor=actor, event_id=event_id, now=utcnow()
    )


async def test_event_published_carries_every_seat_with_its_grade_and_price(
    new_uow: UowFactory, cache: CatalogCache, db: Database, organizer: Principal
) -> None:
    venue = await make_venue(new_uow, cache, organizer, Floor=[3, 2], Balcony=[4])
    event = await make_event(new_uow, cache, organizer, venue)

    published = await publish(new_uow, cache, organizer, event["id"])

    assert published["status"] == "published"
    [(kind, payload)] = await outbox(db, event["id"])
    assert kind == "EventPublished"
    message = EventPublished.model_validate(payload)
    assert message.organizer_id == organizer.id
    assert message.venue_id == venue["id"] and message.venue_name == venue["name"]
    assert message.currency == "KRW" and message.max_tickets_per_user == 4
    assert message.queue.max_active == 100 and message.queue.enabled
    assert [(g.code, g.price, g.seat_count) for g in message.grades] == [
        ("VIP", 165000, 5),
        ("R", 99000, 4),
    ]
    expected = [
        (seat["id"], section["name"], row["label"], seat["label"], s, r, p)
        for s, section in enumerate(venue["sections"])
        for r, row in enumerate(section["rows"])
        for p, seat in enumerate(row["seats"])
    ]
    assert [
        (
            seat.seat_id,
            seat.section,
            seat.row,
            seat.number,
            seat.section_index,
            seat.row_index,
            seat.seat_index,
        )
        for seat in message.seats
    ] == expected
    assert {(seat.section, seat.grade, seat.price) for seat in message.seats} == {
        ("Floor", "VIP", 165000),
        ("Balcony", "R", 99000),
    }
    assert message.seat_count == len(message.seats) == 9


async def test_a_failure_after_the_status_change_leaves_neither(
    new_uow: UowFactory,
    cache: CatalogCache,
    db: Database,
    organizer: Principal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    venue = await make_venue(new_uow, cache, organizer)
    event = await make_event(new_uow, cache, organizer, venue)

    async def broken_outbox(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the outbox insert failed")

    monkeypatch.setattr(cases, "publish", broken_outbox)
    with pytest.raises(RuntimeError):
        await publish(new_uow, cache, organizer, event["id"])
    assert await status_of(db, event["id"]) == "draft"
    assert await outbox(db, event["id"]) == []

    monkeypatch.undo()
    await publish(new_uow, cache, organizer, event["id"])
    assert await status_of(db, event["id"]) == "published"
    assert [kind for kind, _ in await outbox(db, event["id"])] == ["EventPublished"]


async def test_two_concurrent_publishes_make_one_event_and_one_conflict(
    new_uow: UowFactory, cache: CatalogCache, db: Database, organizer: Principal
) -> None:
    venue = await make_venue(new_uow, cache, organizer)
    for _ in range(5):
        event = await make_event(new_uow, cache, organizer, venue)

        results = await asyncio.gather(
            *(publish(new_uow, cache, organizer, event["id"]) for _ in range(2)),
            return_exceptions=True,
        )

        conflicts = [r for r in results if isinstance(r, EventIsPublished)]
        assert len(conflicts) == 1, results
        assert [r["status"] for r in results if isinstance(r, dict)] == ["published"]
        assert [kind for kind, _ in await outbox(db, event["id"])] == ["EventPublished"]


async def test_a_grade_change_racing_a_publish_never_changes_published_grades(
    new_uow: UowFactory, cache: CatalogCache, db: Database, organizer: Principal
) -> None:
    venue = await make_venue(new_uow, cache, organizer)
    new_grades = (Grade("VIP", "VIP석", 200000), Grade("R", "R석", 120000))
    for _ in range(8):
        event = await make_event(new_uow, cache, organizer, venue)

        patched, _ = await asyncio.gather(
            cases.update_event(
                uow=new_uow(),
                cache=cache,
                actor=organizer,
                event_id=event["id"],
                changes={"grades": new_grades},
                now=utcnow(),
            ),
            publish(new_uow, cache, organizer, event["id"]),
            return_exceptions=True,
        )

        [(_, payload)] = await outbox(db, event["id"])
        published_prices = [grade["price"] for grade in payload["grades"]]
        async with db.engine.connect() as conn:
            stored = (
                await conn.scalars(
                    text(
                        "SELECT price FROM catalog.event_grades WHERE event_id = :e "
                        "ORDER BY position"
                    ),
                    {"e": uuid.UUID(event["id"])},
                )
            ).all()
        # Whichever came first, the database and the inventory message agree.
        assert list(stored) == published_prices
        if isinstance(patched, EventIsPublished):
            assert published_prices == [165000, 99000]
        else:
            assert not isinstance(patched, BaseException), patched
            assert published_prices == [200000, 120000]


async def test_a_published_event_keeps_its_inventory_but_may_change_its_terms(
    new_uow: UowFactory, cache: CatalogCache, db: Database, organizer: Principal
) -> None:
    venue = await make_venue(new_uow, cache, organizer)
    event = await make_event(new_uow, cache, organizer, venue)
    await publish(new_uow, cache, organizer, event["id"])

    async def update(**changes: Any) -> Any:
        return await cases.update_event(
            uow=new_uow(),
            cache=cache,
            actor=organizer,
            event_id=event["id"],
            changes=changes,
            now=utcnow(),
        )

    with pytest.raises(EventIsPublished) as frozen:
        await update(
            title="New title", grades=(Grade("VIP", "VIP석", 1), *spec_for(venue).grades[1:])
        )
    assert frozen.value.details == {"grades": "frozen once the event is published"}
    # The same grades again is no change, so it is accepted with the rest.
    same = await update(title="New title", max_tickets_per_user=2, grades=spec_for(venue).grades)
    assert same["title"] == "New title" and same["max_tickets_per_user"] == 2
    kinds = [(kind, payload.get("changed")) for kind, payload in await outbox(db, event["id"])]
    assert kinds == [
        ("EventPublished", None),
        ("EventUpdated", ["title", "max_tickets_per_user"]),
    ]

    await cases.cancel_event(
        uow=new_uow(),
        cache=cache,
        actor=organizer,
        event_id=event["id"],
        reason="Rain",
        now=utcnow(),
    )
    with pytest.raises(EventIsCanceled):
        await update(title="Too late")
    with pytest.raises(EventIsCanceled):
        await publish(new_uow, cache, organizer, event["id"])
    # Canceling again changes nothing and publishes nothing more.
    again = await cases.cancel_event(
        uow=new_uow(), cache=cache, actor=organizer, event_id=event["id"], reason=None, now=utcnow()
    )
    assert again["status"] == "canceled"
    assert [kind for kind, _ in await outbox(db, event["id"])] == [
        "EventPublished",
        "EventUpdated",
        "EventCanceled",
    ]
    assert (await outbox(db, event["id"]))[-1][1]["reason"] == "Rain"
    assert isinstance(frozen.value, DomainError)

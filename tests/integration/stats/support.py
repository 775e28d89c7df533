"""Helpers for stats tests: messages straight onto the streams, and one sale's story."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from tests.api.booking.support import published_event
from tiketi.contracts.booking import (
    ReservationCanceled,
    ReservationConfirmed,
    ReservationCreated,
    SeatsHeld,
    SeatsReleased,
)
from tiketi.contracts.catalog import EventPublished
from tiketi.contracts.events import IntegrationEvent
from tiketi.contracts.payment import PaymentApproved, PaymentRefunded
from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.streams import stream_name
from tiketi.services.stats.service.common import Stats
from tiketi.services.stats.settings import StatsSettings


def stats_of(runtime: Runtime) -> Stats:
    """Stats' use-case collaborators on a runtime."""
    return Stats(
        settings=StatsSettings(), uow=lambda: UnitOfWork(runtime.db.sessions), redis=runtime.redis
    )


async def send(redis: Redis, *events: IntegrationEvent) -> None:
    """XADD events as the outbox relay does (kernel/relay.py's stream fields)."""
    for event in events:
        payload = event.model_dump(mode="json")
        await redis.xadd(
            stream_name(event.event_type),
            {
                "event_id": str(event.message_id),
                "event_type": event.event_type,
                "version": str(event.version),
                "occurred_at": str(payload["occurred_at"]),
                "payload": json.dumps(payload, separators=(",", ":")),
            },
        )


def story(organizer_id: str | None = None) -> tuple[EventPublished, list[IntegrationEvent]]:
    """An event of 20 seats (10 VIP at 165,000, 10 R at 99,000) and what happened to it:

    r1 VIP×2 paid; r2 R×3 paid then canceled and refunded; r3 VIP×1 awaiting payment; r4 R×2
    expired; r5 VIP×2 expired then paid late; r6 R×1 expired, its late payment refunded (seats
    gone, never approved); r7 R×2 canceled unpaid; r1, r3 and r4 made from plain holds (their
    SeatsHeld: same user and expiry); plain holds: R×1 released, R×1 expired, R×1 still held.
    Expected: sold 4 (VIP), held 2 (VIP 1, R 1), revenue 660,000; sales in minutes m0..m3.
    """
    event = published_event(rows=1, per_row=10, grades=("VIP", "R"))
    if organizer_id is not None:
        event = event.model_copy(update={"organizer_id": organizer_id})
    vip = [seat.seat_id for seat in event.seats if seat.grade == "VIP"]
    r = [seat.seat_id for seat in event.seats if seat.grade == "R"]
    m0 = datetime.now(UTC).replace(second=5, microsecond=0) - timedelta(minutes=10)
    at = [m0 + timedelta(minutes=i) for i in range(4)]
    eid, uid = event.event_id, str(uuid.uuid4())

    def res(cls: Any, rid: str, seats: list[int], amount: int, when: datetime, **kw: Any) -> Any:
        return cls(
            reservation_id=rid, event_id=eid, user_id=uid, seat_ids=seats, amount=amount,
            occurred_at=when, **kw,
        )  # fmt: skip

    def pay(cls: Any, rid: str, key: str, amount: int, when: datetime, **kw: Any) -> Any:
        return cls(reservation_id=rid, payment_key=key, amount=amount, occurred_at=when, **kw)

    later = at[0] + timedelta(hours=1)
    ids = {f"r{n}": f"ord_r{n}_{uuid.uuid4().hex[:10]}" for n in range(1, 8)}
    hold_ids = [str(uuid.uuid4()) for _ in range(6)]
    events: list[IntegrationEvent] = [
        res(ReservationCreated, ids["r1"], vip[:2], 330000, at[0], expires_at=later),
        res(ReservationConfirmed, ids["r1"], vip[:2], 330000, at[0], payment_key="p1"),
        pay(PaymentApproved, ids["r1"], f"p1{eid}", 330000, at[0]),
        res(ReservationCreated, ids["r2"], r[:3], 297000, at[1], expires_at=later),
        res(ReservationConfirmed, ids["r2"], r[:3], 297000, at[1], payment_key="p2"),
        pay(PaymentApproved, ids["r2"], f"p2{eid}", 297000, at[1]),
        res(ReservationCanceled, ids["r2"], r[:3], 297000, at[2], refund=True, reason="customer"),
        SeatsReleased(event_id=eid, seat_ids=r[:3], reason="reservation_canceled",
                      reservation_id=ids["r2"], occurred_at=at[2]),
        pay(PaymentRefunded, ids["r2"], f"p2{eid}", 297000, at[2], reason="customer"),
        res(ReservationCreated, ids["r3"], vip[2:3], 165000, at[2], expires_at=later),
        res(ReservationCreated, ids["r4"], r[3:5], 198000, at[1], expires_at=later),
        SeatsReleased(event_id=eid, seat_ids=r[3:5], reason="expired", reservation_id=ids["r4"],
                      hold_id=hold_ids[2], occurred_at=at[2]),
        res(ReservationCreated, ids["r5"], vip[3:5], 330000, at[1], expires_at=later),
        SeatsReleased(event_id=eid, seat_ids=vip[3:4], reason="expired",
                      reservation_id=ids["r5"], occurred_at=at[2]),
        SeatsReleased(event_id=eid, seat_ids=vip[4:5], reason="expired",
                      reservation_id=ids["r5"], occurred_at=at[2]),
        res(ReservationConfirmed, ids["r5"], vip[3:5], 330000, at[3], payment_key="p5"),
        pay(PaymentApproved, ids["r5"], f"p5{eid}", 330000, at[3]),
        res(ReservationCreated, ids["r6"], r[5:6], 99000, at[1], expires_at=later),
        SeatsReleased(event_id=eid, seat_ids=r[5:6], reason="expired", reservation_id=ids["r6"],
                      occurred_at=at[2]),
        pay(PaymentRefunded, ids["r6"], f"p6{eid}", 99000, at[3], reason="seats_gone"),
        res(ReservationCreated, ids["r7"], r[6:8], 198000, at[1], expires_at=later),
        res(ReservationCanceled, ids["r7"], r[6:8], 198000, at[2], refund=False,
            reason="customer"),
    ]  # fmt: skip

    def held(hold_id: str, seats: list[int], when: datetime, until: datetime) -> SeatsHeld:
        return SeatsHeld(
            event_id=eid, seat_ids=seats, user_id=uid, hold_id=hold_id, expires_at=until,
            occurred_at=when,
        )  # fmt: skip

    events += [
        held(hold_ids[0], vip[:2], at[0], later),  # became r1
        held(hold_ids[1], vip[2:3], at[2], later),  # became r3 (still awaiting payment)
        held(hold_ids[2], r[3:5], at[1], later),  # became r4 (expired)
        held(hold_ids[3], r[8:9], at[2], later),
        SeatsReleased(event_id=eid, seat_ids=r[8:9], reason="released", hold_id=hold_ids[3],
                      user_id=uid, occurred_at=at[2]),
        held(hold_ids[4], r[9:10], at[1], at[2]),
        SeatsReleased(event_id=eid, seat_ids=r[9:10], reason="expired", hold_id=hold_ids[4],
                      user_id=uid, occurred_at=at[2]),
        held(hold_ids[5], r[9:10], at[3], later + timedelta(minutes=1)),  # held now
    ]  # fmt: skip
    return event, events


def expected_sales(event: EventPublished, events: Iterable[IntegrationEvent]) -> list[Any]:
    """The story's sales lines: [(minute iso, tickets, revenue)] (see story())."""
    minutes = sorted({e.occurred_at.replace(second=0, microsecond=0) for e in events})
    m0 = minutes[0]
    moves = [(2, 330000), (3, 297000), (-3, -297000), (2, 330000)]
    lines = [(m0 + timedelta(minutes=i), t, v) for i, (t, v) in enumerate(moves)]
    return [{"minute": m.isoformat(), "tickets": t, "revenue": v} for m, t, v in lines]


def assert_story_figures(body: dict[str, Any], event: EventPublished) -> None:
    """The figures story() must produce."""
    assert body["event_id"] == event.event_id and body["status"] == "on_sale"
    assert body["seats"] == {"total": 20, "available": 14, "held": 2, "sold": 4}
    assert body["revenue"] == 660000
    assert body["occupancy"] == 0.2
    by_grade = {line["grade"]: line for line in body["by_grade"]}
    assert by_grade["VIP"] == {
        "grade": "VIP", "name": "VIP", "price": 165000, "total": 10, "available": 5, "held": 1,
        "sold": 4, "occupancy": 0.4,
    }  # fmt: skip
    assert by_grade["R"]["sold"] == 0 and by_grade["R"]["held"] == 1
    assert by_grade["R"]["available"] == 9
    assert sum(line["tickets"] for line in body["sales"]) == 4
    assert sum(line["revenue"] for line in body["sales"]) == 660000

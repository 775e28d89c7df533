"""A sale of a few hundred tickets through the real APIs (booking, payment's sandbox), with
cancellations, refunds, unpaid reservations, and plain holds kept, released and expired: once
the streams are drained, the stats equal booking's and payment's own records, and a rebuild
from the streams gives them again."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.api.booking.support import Fan, published_event, sign_up
from tests.api.payment.support import Order, pay, reserve_seats
from tests.api.stats.support import drain_stats, outboxes_sent, scalar, until
from tests.integration.stats.support import send
from tiketi.kernel.db import Database
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings

# Hundreds of sign-ups, holds and payments on two cores, then a replay of every stream.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

FANS = 75  # four seats each: 300 seats, every one of them touched
PAID, REFUNDED, PENDING, CANCELED_UNPAID, RELEASED, HELD, EXPIRED = range(7)


def role(index: int) -> int:
    """Half the fans pay; the rest split among refund, left unpaid, canceled, released, a
    plain hold kept, a plain hold left to expire."""
    return PAID if index % 2 == 0 else (index // 2) % 6 + 1


async def _expire_hold(db: Database, hold_id: str) -> None:
    """What the clock does to a hold in hold_seconds (the server's sweeper then releases it)."""
    past = "now() - interval '1 second'"
    async with db.engine.begin() as conn:
        params = {"id": hold_id}
        await conn.execute(
            sa.text(f"UPDATE booking.holds SET expires_at = {past} WHERE id = :id"), params
        )
        await conn.execute(
            sa.text(f"UPDATE booking.seats SET hold_expires_at = {past} WHERE hold_id = :id"),
            params,
        )


async def _buy(
    http: httpx.AsyncClient, db: Database, fan: Fan, event_id: str, seats: list[int], part: int
) -> Order | None:
    if part in (RELEASED, HELD, EXPIRED):
        hold = await http.post(
            "/api/v1/holds", json={"event_id": event_id, "seat_ids": seats}, headers=fan.headers
        )
        assert hold.status_code == 201, hold.text
        if part == RELEASED:
            gone = await http.delete(f"/api/v1/holds/{hold.json()['id']}", headers=fan.headers)
            assert gone.status_code == 204
        if part == EXPIRED:
            await _expire_hold(db, hold.json()["id"])
        return None
    order = await reserve_seats(http, fan, event_id, seats)
    if part == CANCELED_UNPAID:
        canceled = await http.post(
            f"/api/v1/reservations/{order.order_id}/cancel", headers=fan.headers
        )
        assert canceled.status_code == 200, canceled.text
    if part in (PAID, REFUNDED):
        await pay(http, order)
    if part == REFUNDED:
        canceled = await http.post(
            f"/api/v1/reservations/{order.order_id}/cancel", headers=fan.headers
        )
        assert canceled.status_code == 200, canceled.text
    return order


async def _records(db: Database, event_id: str) -> dict[str, Any]:
    """What booking and payment themselves say about the event."""
    sold = await scalar(
        db, "SELECT count(*) FROM booking.seats WHERE event_id = :e AND status = 'sold'", e=event_id
    )
    by_grade = await scalar(
        db,
        "SELECT coalesce(jsonb_object_agg(grade, n), '{}') FROM (SELECT grade, count(*) AS n"
        " FROM booking.seats WHERE event_id = :e AND status = 'sold' GROUP BY grade) g",
        e=event_id,
    )
    held = await scalar(
        db,
        "SELECT (SELECT coalesce(sum(cardinality(seat_ids)), 0) FROM booking.reservations"
        "  WHERE event_id = :e AND status = 'pending_payment' AND expires_at > now())"
        " + (SELECT coalesce(sum(cardinality(seat_ids)), 0) FROM booking.holds"
        "  WHERE event_id = :e AND status = 'active' AND expires_at > now())",
        e=event_id,
    )
    revenue = await scalar(
        db,
        "SELECT coalesce(sum(p.amount), 0) FROM payment.payments p"
        " JOIN booking.reservations r ON r.id = p.order_id"
        " WHERE r.event_id = :e AND p.state = 'confirmed'",
        e=event_id,
    )
    return {"sold": int(sold), "held": int(held), "revenue": int(revenue), "by_grade": by_grade}


async def test_stats_equal_booking_and_payment_records_and_survive_a_rebuild(
    http: httpx.AsyncClient, runtime: Runtime, db: Database, organizer: Fan, admin: Fan,
    settings: PlatformSettings,
) -> None:  # fmt: skip
    event = published_event(rows=10, per_row=10, grades=("VIP", "R", "S"), max_tickets=4)
    event = event.model_copy(update={"organizer_id": organizer.id})
    await send(runtime.redis, event)  # as catalog's relay would: booking and stats consume it

    async def on_sale() -> bool:
        return (await http.get(f"/api/v1/events/{event.event_id}/seats")).status_code == 200

    await until(on_sale, "booking created the inventory")
    fans = await asyncio.gather(*[sign_up(http, f"fan{i}") for i in range(FANS)])
    seats = [seat.seat_id for seat in event.seats]
    gate = asyncio.Semaphore(8)

    async def buy(index: int) -> Order | None:
        async with gate:
            mine = seats[index * 4 : index * 4 + 4]
            return await _buy(http, db, fans[index], event.event_id, mine, role(index))

    orders = await asyncio.gather(*[buy(i) for i in range(FANS)])
    refunds = [o.order_id for i, o in enumerate(orders) if o and role(i) == REFUNDED]

    async def refunded() -> bool:
        done = await scalar(
            db,
            "SELECT count(*) FROM payment.payments WHERE order_id = ANY(:ids)"
            " AND state = 'refunded'",
            ids=refunds,
        )
        return int(done) == len(refunds)

    await until(refunded, "payment refunded every canceled paid reservation")
    expired = [seats[i * 4 : i * 4 + 4] for i in range(FANS) if role(i) == EXPIRED]

    async def swept() -> bool:
        free = await scalar(
            db,
            "SELECT count(*) FROM booking.seats WHERE event_id = :e AND seat_id = ANY(:ids)"
            " AND status = 'available'",
            e=event.event_id, ids=[seat for four in expired for seat in four],
        )  # fmt: skip
        return int(free) == 4 * len(expired)

    await until(swept, "booking's sweeper released the expired holds")
    await until(lambda: outboxes_sent(db), "every outbox row relayed")
    await drain_stats(runtime)

    path = f"/api/v1/stats/events/{event.event_id}"
    body = (await http.get(path, headers=organizer.headers)).json()
    records = await _records(db, event.event_id)
    paid_fans = sum(1 for i in range(FANS) if role(i) == PAID)
    assert records["sold"] == 4 * paid_fans  # the sale went as planned
    assert body["seats"]["sold"] == records["sold"]
    assert (
        body["seats"]["held"]
        == records["held"]
        == 4 * sum(1 for i in range(FANS) if role(i) in (PENDING, HELD))
    )
    assert body["seats"]["available"] == 300 - records["sold"] - records["held"]
    assert body["revenue"] == records["revenue"] > 0
    assert {g["grade"]: g["sold"] for g in body["by_grade"] if g["sold"]} == records["by_grade"]
    assert body["occupancy"] == round(records["sold"] / 300, 4)
    assert sum(line["tickets"] for line in body["sales"]) == records["sold"]
    assert sum(line["revenue"] for line in body["sales"]) == records["revenue"]

    overview = (await http.get("/api/v1/stats/overview", headers=admin.headers)).json()
    [line] = [line for line in overview["by_event"] if line["event_id"] == event.event_id]
    assert line["seats"] == body["seats"] and line["revenue"] == body["revenue"]

    # The operator's command: empties the tables and replays every stream from the start.
    env = {
        "TIKETI_DATABASE_URL": settings.database_url or "",
        "TIKETI_REDIS_URL": settings.redis_url or "",
        "TIKETI_ENV": "test",
        "PATH": "/usr/bin:/bin",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tiketi.cli", "stats", "rebuild"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"applied"' in done.stdout
    rebuilt = (await http.get(path, headers=organizer.headers)).json()
    assert rebuilt == body

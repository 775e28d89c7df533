"""An event canceled with many paid reservations: every payment is refunded once, side by side
rather than one TossPayments call after another inside the payment consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.api.booking.support import install, published_event, seat_ids, sign_up
from tests.api.gateway.support import RunningServer
from tests.api.payment.conftest import serving_payments
from tests.api.payment.support import Order, assert_invariant, pay, reserve_seats, rows
from tests.integration.stats.support import send
from tiketi.contracts.catalog import EventCanceled
from tiketi.kernel.db import Database
from tiketi.kernel.redis import create_redis
from tiketi.kernel.settings import PlatformSettings

PAID = 50


@pytest.fixture(scope="module")
def server(migrated: PlatformSettings) -> Iterator[RunningServer]:
    """As the suite's, with generous timeouts: fifty payments on two busy cores are no
    fault-injection test."""
    with serving_payments(
        migrated, toss_timeout_seconds=10.0, booking_timeout_seconds=10.0
    ) as running:
        yield running


async def test_canceling_an_event_refunds_every_paid_reservation_once(
    client: httpx.AsyncClient, db: Database, settings: PlatformSettings
) -> None:
    event = published_event(rows=5, per_row=10, max_tickets=PAID)
    await install(db, event)
    fan = await sign_up(client)
    orders = [
        await reserve_seats(client, fan, event.event_id, [seat]) for seat in seat_ids(event)[:PAID]
    ]
    slots = asyncio.Semaphore(4)

    async def pay_one(order: Order) -> None:
        async with slots:
            await pay(client, order)

    await asyncio.gather(*(pay_one(order) for order in orders))

    canceled = EventCanceled(
        event_id=event.event_id, organizer_id=event.organizer_id, title=event.title,
        reason="공연장 사정", canceled_at=datetime.now(UTC),
    )  # fmt: skip
    assert settings.redis_url
    redis = create_redis(settings.redis_url)
    try:
        await send(redis, canceled)  # what catalog's relay does
    finally:
        await redis.aclose()

    query = (
        "SELECT p.state, r.status FROM payment.payments p "
        "JOIN booking.reservations r ON r.id = p.order_id WHERE r.event_id = :e"
    )
    for _ in range(600):  # bounded wait for consumers and refunds; never a timed assertion
        states = await rows(db, query, e=event.event_id)
        if all((s["state"], s["status"]) == ("refunded", "refunded") for s in states):
            break
        await asyncio.sleep(0.05)
    assert len(states) == PAID
    assert {(s["state"], s["status"]) for s in states} == {("refunded", "refunded")}
    # One cancel per payment at the gateway, one PaymentRefunded per payment.
    cancels = await rows(
        db,
        "SELECT jsonb_array_length(cancels) AS n, status FROM payment.sandbox_payments "
        "WHERE order_id = ANY(:ids)",
        ids=[order.order_id for order in orders],
    )
    assert sorted((c["n"], c["status"]) for c in cancels) == [(1, "CANCELED")] * PAID
    refunded = await rows(
        db,
        "SELECT payload->>'reason' AS reason FROM payment.outbox "
        "WHERE event_type = 'PaymentRefunded' AND payload->>'reservation_id' = ANY(:ids)",
        ids=[order.order_id for order in orders],
    )
    assert [r["reason"] for r in refunded] == ["event_canceled"] * PAID
    await assert_invariant(db, *orders)

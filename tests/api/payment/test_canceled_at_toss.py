"""A payment cancelled at TossPayments itself (the merchant's console): the payment ends refunded
and booking voids the reservation — seats back on sale, tickets refused at the door — without
a second refund. Through the sandbox's cancel endpoint and the webhook, over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import timedelta
from typing import Any

import httpx

from tests.api.booking.support import Fan, error_code, sign_up_admin
from tests.api.gateway.support import RunningServer
from tests.api.payment.conftest import payment_settings
from tests.api.payment.support import (
    Order,
    assert_invariant,
    die_after_approval,
    open_window,
    our_payment,
    pay,
    reservation,
    reserve,
    rows,
    sandbox_payments,
    side_payments,
    until_reservation,
)
from tests.integration.stats.support import send
from tiketi.contracts.payment import PaymentRefunded
from tiketi.kernel.db import Database
from tiketi.kernel.redis import create_redis
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.payment.service.common import utcnow
from tiketi.services.payment.service.reconciler import reconcile_once
from tiketi.services.payment.settings import SANDBOX_SECRET_KEY

_BASIC = base64.b64encode(f"{SANDBOX_SECRET_KEY}:".encode()).decode()
MERCHANT = {"Authorization": f"Basic {_BASIC}"}


async def _cancel_at_toss(client: httpx.AsyncClient, payment_key: str) -> None:
    """What the merchant's console does: a full cancel straight at TossPayments."""
    response = await client.post(
        f"/sandbox/toss/v1/payments/{payment_key}/cancel",
        json={"cancelReason": "가맹점 관리자 취소"},
        headers=MERCHANT,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CANCELED"


async def _webhook(client: httpx.AsyncClient, order: Order, key: str) -> str:
    data = {"paymentKey": key, "orderId": order.order_id, "status": "CANCELED"}
    body = {"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T00:00:00", "data": data}
    headers = {"tosspayments-webhook-transmission-id": f"wh-{uuid.uuid4().hex}"}
    response = await client.post("/api/v1/payments/webhook", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: str = response.json()["result"]
    return result


async def _booking_events(db: Database, order: Order, event_type: str) -> list[dict[str, Any]]:
    found = await rows(
        db,
        "SELECT payload FROM booking.outbox WHERE event_type = :t "
        "AND payload->>'reservation_id' = :o ORDER BY id",
        t=event_type,
        o=order.order_id,
    )
    return [row["payload"] for row in found]


async def _seat_statuses(client: httpx.AsyncClient, order: Order) -> set[str]:
    seat_map = await client.get(f"/api/v1/events/{order.event_id}/seats")
    assert seat_map.status_code == 200
    return {s["status"] for s in seat_map.json()["seats"] if s["id"] in order.seat_ids}


async def _assert_voided(client: httpx.AsyncClient, db: Database, order: Order) -> None:
    """Refunded once (at TossPayments), the reservation void, its seats free."""
    ours = await our_payment(db, order.order_id)
    assert ours is not None and ours["state"] == "refunded"
    assert ours["refund_reason"] == "payment_canceled"
    [gateway] = await sandbox_payments(db, order.order_id)
    assert gateway["status"] == "CANCELED" and len(gateway["cancels"]) == 1  # no second refund
    body = await until_reservation(client, order, "refunded")
    assert body["canceled_at"]
    [canceled] = await _booking_events(db, order, "ReservationCanceled")
    assert (canceled["refund"], canceled["reason"]) == (False, "payment_canceled")
    released = await _booking_events(db, order, "SeatsReleased")
    assert [sorted(r["seat_ids"]) for r in released] == [sorted(order.seat_ids)]
    assert await _seat_statuses(client, order) == {"available"}
    refunded = await rows(
        db, "SELECT payload FROM payment.outbox WHERE event_type = 'PaymentRefunded' "
        "AND payload->>'reservation_id' = :o", o=order.order_id,
    )  # fmt: skip
    assert [r["payload"]["reason"] for r in refunded] == ["payment_canceled"]
    await assert_invariant(db, order)


async def test_a_payment_canceled_at_toss_voids_the_confirmed_reservation(
    client: httpx.AsyncClient, db: Database, settings: PlatformSettings
) -> None:
    order = await reserve(client, db)
    key = await pay(client, order)
    tickets = await client.get(
        f"/api/v1/reservations/{order.order_id}/tickets", headers=order.fan.headers
    )
    assert tickets.status_code == 200, tickets.text
    token = tickets.json()[0]["qr_token"]

    await _cancel_at_toss(client, key)
    assert await _webhook(client, order, key) == "canceled_at_toss"
    await _assert_voided(client, db, order)
    admin: Fan = await sign_up_admin(client, db)
    door = await client.post("/api/v1/checkin", json={"qr_token": token}, headers=admin.headers)
    assert door.status_code == 409 and error_code(door) == "TICKET_VOID"

    # Idempotent: TossPayments telling again changes nothing, and so does booking reading a
    # PaymentRefunded for it again (a new event id: the kernel's dedup does not hide it).
    assert await _webhook(client, order, key) == "noted"
    again = PaymentRefunded(
        reservation_id=order.order_id, payment_key=key, user_id=order.fan.id,
        amount=order.amount, reason="payment_canceled",
    )  # fmt: skip
    assert settings.redis_url
    redis = create_redis(settings.redis_url)
    try:
        await send(redis, again)
    finally:
        await redis.aclose()
    for _ in range(200):
        seen = await rows(
            db, "SELECT 1 FROM booking.processed_events WHERE consumer = 'booking-voids' "
            "AND event_id = :e", e=again.message_id,
        )  # fmt: skip
        if seen:
            break
        await asyncio.sleep(0.05)
    assert seen, "booking-voids never read the repeated PaymentRefunded"
    await _assert_voided(client, db, order)
    # The seats are for sale again.
    hold = await client.post(
        "/api/v1/holds", json={"event_id": order.event_id, "seat_ids": order.seat_ids},
        headers=admin.headers,
    )  # fmt: skip
    assert hold.status_code == 201, hold.text


async def test_the_reconciler_refunds_an_approved_payment_canceled_at_toss(
    client: httpx.AsyncClient, db: Database, server: RunningServer, settings: PlatformSettings
) -> None:
    """Approved, the process died before booking confirmed, then the merchant cancelled it:
    the reconciler asks TossPayments before attaching, and does not confirm the reservation."""
    order = await reserve(client, db)
    key = await open_window(client, order)
    config = payment_settings(server.port)
    await die_after_approval(settings, server.url, config, db, order, key)
    assert (await our_payment(db, order.order_id) or {})["state"] == "approved"
    await _cancel_at_toss(client, key)
    survivor = side_payments(settings, server.url, config, db)
    try:
        later = utcnow() + timedelta(seconds=config.confirm_budget_seconds + 1)
        done = await reconcile_once(payments=survivor, now=later)
    finally:
        await survivor.aclose()
    assert done["resolved_canceled_at_toss"] == 1
    assert (await our_payment(db, order.order_id) or {})["state"] == "refunded"
    booked = await reservation(db, order.order_id)
    assert booked["status"] == "pending_payment" and booked["payment_key"] is None
    assert await _booking_events(db, order, "ReservationConfirmed") == []
    await assert_invariant(db, order)

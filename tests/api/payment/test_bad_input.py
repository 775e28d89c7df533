"""Bad input and the other ends of a payment: refunds, webhooks, one-process wiring."""

from __future__ import annotations

import httpx
import pytest

from tests.api.booking.support import error_code, sign_up
from tests.api.payment.support import (
    assert_invariant,
    confirm,
    open_window,
    our_payment,
    pay,
    reserve,
    sandbox_payments,
    until_reservation,
)
from tiketi.kernel.db import Database


async def test_unknown_and_foreign_orders_are_not_found(
    client: httpx.AsyncClient, db: Database
) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order)
    stranger = await sign_up(client)
    unknown = await client.post(
        "/api/v1/payments/confirm",
        json={"payment_key": key, "order_id": "NO-SUCH-ORDER", "amount": order.amount},
        headers=order.fan.headers,
    )
    assert unknown.status_code == 404 and error_code(unknown) == "ORDER_NOT_FOUND"
    foreign = await client.post(
        "/api/v1/payments/confirm",
        json={"payment_key": key, "order_id": order.order_id, "amount": order.amount},
        headers=stranger.headers,
    )
    assert foreign.status_code == 404 and error_code(foreign) == "ORDER_NOT_FOUND"
    assert (await client.get(f"/api/v1/payments/{order.order_id}", headers=stranger.headers)
            ).status_code == 404  # fmt: skip
    [untouched] = await sandbox_payments(db, order.order_id)
    assert untouched["status"] == "IN_PROGRESS"


@pytest.mark.parametrize("amount", ["165000", -1, 0, 1650.5, True, None])
async def test_bad_amounts_are_refused(
    client: httpx.AsyncClient, db: Database, amount: object
) -> None:
    order = await reserve(client, db, seats=1)
    response = await client.post(
        "/api/v1/payments/confirm",
        json={"payment_key": "tgen_x", "order_id": order.order_id, "amount": amount},
        headers=order.fan.headers,
    )
    assert response.status_code == 422 and error_code(response) == "VALIDATION_ERROR"


async def test_amount_mismatch_charges_nothing(client: httpx.AsyncClient, db: Database) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order)
    response = await confirm(client, order, key, amount=order.amount - 1000)
    assert response.status_code == 400 and error_code(response) == "AMOUNT_MISMATCH"
    [untouched] = await sandbox_payments(db, order.order_id)
    assert untouched["status"] == "IN_PROGRESS" and await our_payment(db, order.order_id) is None
    await assert_invariant(db, order)


async def test_fan_cancel_of_a_paid_reservation_refunds_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    order = await reserve(client, db)
    await pay(client, order)
    canceled = await client.post(
        f"/api/v1/reservations/{order.order_id}/cancel", headers=order.fan.headers
    )
    assert canceled.status_code == 200, canceled.text
    # ReservationCanceled → payment → Toss cancel → PaymentRefunded → booking
    await until_reservation(client, order, "refunded")
    [refunded] = await sandbox_payments(db, order.order_id)
    assert refunded["status"] == "CANCELED" and refunded["balance_amount"] == 0
    shown = await client.get(f"/api/v1/payments/{order.order_id}", headers=order.fan.headers)
    assert shown.json()["status"] == "CANCELED" and shown.json()["cancels"]
    await assert_invariant(db, order)


async def test_webhooks_are_stored_once_and_unknown_types_ignored(
    client: httpx.AsyncClient, db: Database
) -> None:
    order = await reserve(client, db)
    key = await pay(client, order)
    data = {"paymentKey": key, "orderId": order.order_id, "status": "CANCELED"}
    body = {"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T00:00:00", "data": data}
    headers = {"tosspayments-webhook-transmission-id": f"wh-{key}"}
    first = await client.post("/api/v1/payments/webhook", json=body, headers=headers)
    assert first.status_code == 200 and first.json()["result"] == "noted"
    # The body said CANCELED; TossPayments, asked, says DONE: nothing changes.
    assert (await our_payment(db, order.order_id) or {})["state"] == "confirmed"
    again = await client.post("/api/v1/payments/webhook", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["result"] == "duplicate"
    odd = await client.post("/api/v1/payments/webhook", json={"eventType": "SOMETHING_NEW"})
    assert odd.status_code == 200 and odd.json()["result"] == "ignored"
    forged = await client.post(
        "/api/v1/payments/webhook",
        json={"orderId": order.order_id, "secret": "guess", "status": "DONE"},
    )
    assert forged.status_code == 200 and forged.json()["result"] in ("unknown_order", "bad_secret")
    await assert_invariant(db, order)


async def test_sandbox_speaks_tosspayments_errors(client: httpx.AsyncClient) -> None:
    no_key = await client.post("/sandbox/toss/v1/payments/confirm", json={})
    assert no_key.status_code == 401 and no_key.json()["code"] == "UNAUTHORIZED_KEY"
    bad_order = await client.post(
        "/sandbox/toss/v1/payments", json={"orderId": "x", "orderName": "n", "amount": 1}
    )
    assert bad_order.status_code == 400 and bad_order.json()["code"] == "INVALID_REQUEST"
    page = await client.get("/sandbox/toss/widget?orderId=ORDER-123456&amount=1000")
    assert page.status_code == 200 and "ORDER-123456" in page.text
    redirected = await client.post(
        "/sandbox/toss/widget",
        data={"orderId": "ORDER-123456", "amount": "1000", "successUrl": "/ok", "action": "pay"},
    )
    assert redirected.status_code == 303
    assert redirected.headers["location"].startswith("/ok?paymentKey=tgen_")
    gave_up = await client.post(
        "/sandbox/toss/widget",
        data={"orderId": "ORDER-123456", "amount": "1000", "failUrl": "/no", "action": "cancel"},
    )
    assert gave_up.headers["location"].startswith("/no?code=PAY_PROCESS_CANCELED")


async def test_one_process_calls_booking_and_the_sandbox_in_process(
    client: httpx.AsyncClient, make_client: object, db: Database
) -> None:
    """`tiketi serve`: no URLs set, so booking and the sandbox are reached through the app."""
    app = await make_client()  # type: ignore[operator]
    order = await reserve(app, db)
    await pay(app, order)
    await assert_invariant(db, order)

"""Helpers for the payment suite: a fan's reservation, the sandbox's widget, the invariant."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.api.booking.support import Fan, install, published_event, seat_ids, sign_up
from tiketi.kernel.db import Database, UnitOfWork
from tiketi.kernel.service_tokens import ServiceTokenSource
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.payment.adapters.booking import BookingClient, ConfirmAnswer
from tiketi.services.payment.adapters.toss import TossClient
from tiketi.services.payment.service.common import Payments
from tiketi.services.payment.service.confirm import ConfirmedPayment, confirm_payment
from tiketi.services.payment.settings import PaymentSettings


@dataclass(frozen=True)
class Order:
    fan: Fan
    event_id: str
    seat_ids: list[int]
    order_id: str
    amount: int


async def reserve(
    client: httpx.AsyncClient, db: Database, *, seats: int = 2, fan: Fan | None = None
) -> Order:
    """A fresh event, a fan, a hold and a reservation awaiting payment."""
    event = published_event()
    await install(db, event)
    fan = fan or await sign_up(client)
    ids = seat_ids(event)[:seats]
    return await reserve_seats(client, fan, event.event_id, ids)


async def reserve_seats(
    client: httpx.AsyncClient, fan: Fan, event_id: str, ids: list[int]
) -> Order:
    hold = await client.post(
        "/api/v1/holds", json={"event_id": event_id, "seat_ids": ids}, headers=fan.headers
    )
    assert hold.status_code == 201, hold.text
    reservation = await client.post(
        "/api/v1/reservations", json={"hold_id": hold.json()["id"]}, headers=fan.headers
    )
    assert reservation.status_code == 201, reservation.text
    body = reservation.json()
    return Order(fan, event_id, ids, body["id"], body["amount"])


async def open_window(
    client: httpx.AsyncClient, order: Order, outcome: str = "success", **extra: Any
) -> str:
    """The widget stand-in: a payment window; the paymentKey its success URL carries."""
    response = await client.post(
        "/sandbox/toss/v1/payments",
        json={"orderId": order.order_id, "orderName": "Concert", "amount": order.amount,
              "outcome": outcome, **extra},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    assert f"paymentKey={body['paymentKey']}" in body["successUrl"]
    key: str = body["paymentKey"]
    return key


async def confirm(
    client: httpx.AsyncClient, order: Order, payment_key: str, amount: int | None = None
) -> httpx.Response:
    return await client.post(
        "/api/v1/payments/confirm",
        json={"payment_key": payment_key, "order_id": order.order_id,
              "amount": order.amount if amount is None else amount},
        headers=order.fan.headers,
    )  # fmt: skip


async def pay(client: httpx.AsyncClient, order: Order) -> str:
    """The fan pays the reservation (a payment window, then confirm); its paymentKey."""
    key = await open_window(client, order)
    answer = await confirm(client, order, key)
    assert answer.status_code == 200, answer.text
    return key


async def until_reservation(client: httpx.AsyncClient, order: Order, status: str) -> dict[str, Any]:
    """Wait (bounded) for an asynchronous consumer to have brought the reservation to `status`;
    the reservation as the fan sees it then."""
    for _ in range(200):
        mine = await client.get(f"/api/v1/reservations/{order.order_id}", headers=order.fan.headers)
        body: dict[str, Any] = mine.json()
        if body["status"] == status:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"reservation {order.order_id} never became {status}")


async def expire(db: Database, order: Order) -> None:
    """The reservation's hold runs out (what the clock would do in hold_seconds)."""
    past = "now() - interval '1 second'"
    async with db.engine.begin() as conn:
        params = {"id": order.order_id}
        await conn.execute(
            sa.text(f"UPDATE booking.reservations SET expires_at = {past} WHERE id = :id"), params
        )
        await conn.execute(
            sa.text(
                f"UPDATE booking.holds SET expires_at = {past} WHERE id = "
                "(SELECT hold_id FROM booking.reservations WHERE id = :id)"
            ),
            params,
        )
        await conn.execute(
            sa.text(
                f"UPDATE booking.seats SET hold_expires_at = {past} WHERE reservation_id = :id"
            ),
            params,
        )


async def rows(db: Database, query: str, **params: Any) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        result = await conn.execute(sa.text(query), params)
        return [dict(row._mapping) for row in result]


async def sandbox_payments(db: Database, order_id: str) -> list[dict[str, Any]]:
    return await rows(db, "SELECT * FROM payment.sandbox_payments WHERE order_id = :o", o=order_id)


async def our_payment(db: Database, order_id: str) -> dict[str, Any] | None:
    found = await rows(db, "SELECT * FROM payment.payments WHERE order_id = :o", o=order_id)
    return found[0] if found else None


async def reservation(db: Database, order_id: str) -> dict[str, Any]:
    found = await rows(db, "SELECT * FROM booking.reservations WHERE id = :o", o=order_id)
    return found[0]


async def assert_invariant(db: Database, *orders: Order) -> None:
    """Every payment DONE at the gateway is attached to a confirmed reservation or fully
    refunded; no reservation is confirmed without a DONE payment — in our database and in
    the sandbox's store."""
    for order in orders:
        gateway = await sandbox_payments(db, order.order_id)
        ours = await our_payment(db, order.order_id)
        booked = await reservation(db, order.order_id)
        charged = [p for p in gateway if p["approved_at"] is not None]
        done = [p for p in charged if p["status"] == "DONE"]
        assert len(done) <= 1, f"{order.order_id}: charged twice"
        for payment in charged:
            if payment["status"] == "DONE":
                assert booked["status"] == "confirmed", (order.order_id, booked["status"])
                assert booked["payment_key"] == payment["payment_key"]
                assert ours is not None and ours["state"] == "confirmed"
                assert ours["payment_key"] == payment["payment_key"]
            else:
                assert payment["status"] == "CANCELED" and payment["balance_amount"] == 0
        if booked["status"] == "confirmed":
            assert [p["payment_key"] for p in done] == [booked["payment_key"]]
            assert done[0]["amount"] == booked["amount"]
        if ours is not None and ours["state"] == "refunded":
            assert all(p["status"] != "DONE" for p in charged)


def side_payments(
    platform: PlatformSettings,
    server_url: str,
    settings: PaymentSettings,
    db: Database,
    booking: BookingClient | None = None,
    toss_url: str | None = None,
) -> Payments:
    """A payment service on the test's own loop (another replica of it), on the same database,
    TossPayments sandbox and booking."""
    return Payments(
        settings=settings,
        uow=lambda: UnitOfWork(db.sessions),
        toss=TossClient(
            base_url=toss_url or server_url + "/sandbox/toss",
            secret_key=settings.secret_key(),
            timeout=settings.toss_timeout_seconds,
            attempts=settings.toss_attempts,
            backoff=settings.toss_retry_backoff_seconds,
        ),
        booking=booking
        or BookingClient(
            base_url=server_url,
            token=ServiceTokenSource(platform, service="payment"),
            timeout=settings.booking_timeout_seconds,
        ),
    )


async def confirm_on(payments: Payments, order: Order, payment_key: str) -> ConfirmedPayment:
    """The fan's confirmation, handled by the given payment replica (not over HTTP)."""
    return await confirm_payment(
        payments=payments, user_id=order.fan.id, bearer=order.fan.token,
        order_id=order.order_id, payment_key=payment_key, amount=order.amount,
    )  # fmt: skip


class ProcessKilled(Exception):
    """Stands for the process dying: nothing after it in the confirmation runs."""


class KilledBooking(BookingClient):
    """Booking's confirm never returns: the process died right after TossPayments approved."""

    async def confirm(self, order_id: str, *, payment_key: str, amount: int) -> ConfirmAnswer:
        raise ProcessKilled("killed between approval and booking confirmation")


async def die_after_approval(
    platform: PlatformSettings,
    server_url: str,
    settings: PaymentSettings,
    db: Database,
    order: Order,
    payment_key: str,
) -> None:
    """A payment replica confirms the order and dies once TossPayments has approved it, before
    booking confirmed the reservation."""
    killed = KilledBooking(
        base_url=server_url, token=ServiceTokenSource(platform, service="payment"), timeout=5.0
    )
    dying = side_payments(platform, server_url, settings, db, booking=killed)
    try:
        with pytest.raises(ProcessKilled):
            await confirm_on(dying, order, payment_key)
    finally:
        await dying.aclose()

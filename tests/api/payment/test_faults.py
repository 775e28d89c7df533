"""The fault-injection suite: every outcome the sandbox can play, through real HTTP, each ending
in the invariant checked against our database and the sandbox's store."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from tests.api.booking.support import error_code, sign_up
from tests.api.gateway.support import RunningServer
from tests.api.payment.conftest import payment_settings
from tests.api.payment.support import (
    assert_invariant,
    confirm,
    confirm_on,
    die_after_approval,
    expire,
    open_window,
    our_payment,
    pay,
    reservation,
    reserve,
    reserve_seats,
    sandbox_payments,
    side_payments,
    until_reservation,
)
from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.payment.domain.errors import PaymentProviderUnavailable
from tiketi.services.payment.service.common import utcnow
from tiketi.services.payment.service.reconciler import reconcile_once


async def test_success_confirms_the_reservation(client: httpx.AsyncClient, db: Database) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order)
    answer = await confirm(client, order, key)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "DONE" and body["reservation_status"] == "confirmed"
    assert (body["order_id"], body["payment_key"]) == (order.order_id, key)
    assert body["method"] == "카드" and body["approved_at"]
    shown = await client.get(f"/api/v1/payments/{order.order_id}", headers=order.fan.headers)
    assert shown.status_code == 200 and shown.json()["status"] == "DONE"
    mine = await client.get(f"/api/v1/reservations/{order.order_id}", headers=order.fan.headers)
    assert mine.json()["status"] == "confirmed"
    again = await confirm(client, order, key)  # idempotent: the first outcome again
    assert again.status_code == 200 and again.json() == body
    await assert_invariant(db, order)


async def test_card_rejected_charges_nothing_and_stays_payable(
    client: httpx.AsyncClient, db: Database
) -> None:
    order = await reserve(client, db)
    rejected = await confirm(client, order, await open_window(client, order, "reject"))
    assert rejected.status_code == 402 and error_code(rejected) == "PAYMENT_REJECTED"
    assert rejected.json()["error"]["details"]["provider_code"] == "REJECT_CARD_PAYMENT"
    assert (await reservation(db, order.order_id))["status"] == "pending_payment"
    [aborted] = await sandbox_payments(db, order.order_id)
    assert aborted["status"] == "ABORTED" and aborted["approved_at"] is None
    await assert_invariant(db, order)
    # Another card: the reservation could still be paid.
    await pay(client, order)
    await assert_invariant(db, order)


async def test_provider_error_then_success_on_retry(
    client: httpx.AsyncClient, db: Database
) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order, "provider_error", failTimes=2)
    answer = await confirm(client, order, key)
    assert answer.status_code == 200, answer.text
    await assert_invariant(db, order)


async def test_timeout_with_approval_behind_it_is_retried_with_the_same_key(
    client: httpx.AsyncClient, db: Database
) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order, "slow")
    answer = await confirm(client, order, key)
    # The first attempt timed out after the sandbox approved; the repeat with the same
    # Idempotency-Key got the remembered approval: one charge, confirmed.
    assert answer.status_code == 200, answer.text
    assert len(await sandbox_payments(db, order.order_id)) == 1
    await assert_invariant(db, order)


async def test_timeout_with_no_retry_left_is_settled_by_the_reconciler(
    client: httpx.AsyncClient, db: Database, server: RunningServer, settings: PlatformSettings
) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order, "slow")
    hasty = payment_settings(server.port, toss_attempts=1, toss_timeout_seconds=0.3)
    payments = side_payments(settings, server.url, hasty, db)
    try:
        with pytest.raises(PaymentProviderUnavailable):
            await confirm_on(payments, order, key)
        assert (await our_payment(db, order.order_id) or {})["state"] == "unknown"
        # Money is taken and no reservation is confirmed yet: the reconciler's case.
        done = await reconcile_once(payments=payments, now=utcnow() + timedelta(hours=1))
        assert done["confirmed"] >= 1
    finally:
        await payments.aclose()
    assert (await reservation(db, order.order_id))["status"] == "confirmed"
    replay = await confirm(client, order, key)
    assert replay.status_code == 200, replay.text
    await assert_invariant(db, order)


async def test_approve_then_500_is_looked_up_and_confirmed(
    client: httpx.AsyncClient, db: Database
) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order, "approve_then_500")
    answer = await confirm(client, order, key)
    assert answer.status_code == 200, answer.text
    await assert_invariant(db, order)


async def test_double_confirm_concurrently_charges_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order)
    answers = await asyncio.gather(*(confirm(client, order, key) for _ in range(5)))
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    assert len({a.json()["approved_at"] for a in answers}) == 1
    [charged] = await sandbox_payments(db, order.order_id)
    assert charged["status"] == "DONE"
    await assert_invariant(db, order)


async def test_late_payment_retakes_free_seats(client: httpx.AsyncClient, db: Database) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order)
    await expire(db, order)
    mine = await client.get(f"/api/v1/reservations/{order.order_id}", headers=order.fan.headers)
    assert mine.json()["status"] == "expired"
    answer = await confirm(client, order, key)
    assert answer.status_code == 200, answer.text
    await assert_invariant(db, order)


async def test_late_payment_whose_seats_are_taken_is_refunded(
    client: httpx.AsyncClient, db: Database
) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order)
    await expire(db, order)
    rival = await reserve_seats(client, await sign_up(client), order.event_id, order.seat_ids)
    answer = await confirm(client, order, key)
    assert answer.status_code == 409 and error_code(answer) == "SEATS_GONE_REFUNDED"
    [refunded] = await sandbox_payments(db, order.order_id)
    assert refunded["status"] == "CANCELED" and refunded["balance_amount"] == 0
    assert (await our_payment(db, order.order_id) or {})["state"] == "refunded"
    again = await confirm(client, order, key)
    assert error_code(again) == "SEATS_GONE_REFUNDED"
    # Booking hears PaymentRefunded (outbox → stream → its consumer) and says so.
    await until_reservation(client, order, "refunded")
    await assert_invariant(db, order, rival)


async def test_killed_between_approval_and_booking_is_settled_by_the_reconciler(
    client: httpx.AsyncClient, db: Database, server: RunningServer, settings: PlatformSettings
) -> None:
    order = await reserve(client, db)
    key = await open_window(client, order)
    config = payment_settings(server.port)
    await die_after_approval(settings, server.url, config, db, order, key)
    assert (await our_payment(db, order.order_id) or {})["state"] == "approved"
    [charged] = await sandbox_payments(db, order.order_id)
    assert charged["status"] == "DONE"
    assert (await reservation(db, order.order_id))["status"] == "pending_payment"
    survivor = side_payments(settings, server.url, config, db)
    try:
        # Nothing is due before the lease runs out; after it, the payment is attached.
        assert sum((await reconcile_once(payments=survivor)).values()) == 0
        later = utcnow() + timedelta(seconds=config.confirm_budget_seconds + 1)
        done = await reconcile_once(payments=survivor, now=later)
        assert done["confirmed"] == 1
    finally:
        await survivor.aclose()
    assert (await reservation(db, order.order_id))["status"] == "confirmed"
    await assert_invariant(db, order)


async def test_toss_unreachable_answers_503_and_the_reservation_stays_payable(
    client: httpx.AsyncClient, db: Database, server: RunningServer, settings: PlatformSettings
) -> None:
    from tests.api.gateway.support import closed_port

    order = await reserve(client, db)
    key = await open_window(client, order)
    config = payment_settings(server.port, toss_attempts=2)
    nowhere = side_payments(
        settings, server.url, config, db, toss_url=f"http://127.0.0.1:{closed_port()}"
    )
    try:
        with pytest.raises(PaymentProviderUnavailable) as raised:
            await confirm_on(nowhere, order, key)
        assert raised.value.code == "PAYMENT_PROVIDER_UNAVAILABLE" and raised.value.status == 503
    finally:
        await nowhere.aclose()
    mine = await client.get(f"/api/v1/reservations/{order.order_id}", headers=order.fan.headers)
    assert mine.json()["status"] == "pending_payment"
    # TossPayments is back: the fan's repeat (same paymentKey) goes through.
    answer = await confirm(client, order, key)
    assert answer.status_code == 200, answer.text
    await assert_invariant(db, order)

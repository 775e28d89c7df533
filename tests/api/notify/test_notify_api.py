"""Notify in the platform: a real sale's confirmation mailed over SMTP with scannable QR
codes, and the admin's dead-letter endpoints."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.api.booking.conftest import FAST_AUTH, booking_settings
from tests.api.booking.support import (
    PASSWORD,
    Fan,
    error_code,
    install,
    published_event,
    sign_up_admin,
)
from tests.conftest import start_client
from tests.integration.notify.smtp import SmtpSink, body, decode_qr, inline_images, smtp_server
from tests.integration.notify.support import deliver
from tiketi.kernel.app_factory import create_app
from tiketi.kernel.db import Database
from tiketi.kernel.redis import create_redis
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import RedisServer
from tiketi.services.auth import module as auth_module
from tiketi.services.booking import module as booking_module
from tiketi.services.notify import module as notify_module
from tiketi.services.notify.settings import NotifySettings

# Streams of our own: only this app's consumers read them.
REDIS_DB = 13


class Platform:
    """A client to auth + booking + notify, the SMTP server they mail to, and a database."""

    def __init__(self, client: httpx.AsyncClient, sink: SmtpSink, runtime: Runtime) -> None:
        self.client, self.sink, self.runtime = client, sink, runtime

    async def sign_up(self, name: str = "민지") -> tuple[Fan, str]:
        email = f"fan-{uuid.uuid4().hex[:12]}@example.com"
        response = await self.client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": name}
        )
        assert response.status_code == 201, response.text
        data = response.json()
        return Fan(data["user"]["id"], data["access_token"]), email

    async def admin(self) -> Fan:
        return await sign_up_admin(self.client, self.runtime.db)


@pytest.fixture
async def platform(
    settings: PlatformSettings, redis_server: RedisServer
) -> AsyncIterator[Platform]:
    redis_url = f"redis://127.0.0.1:{redis_server.port}/{REDIS_DB}"
    custom = settings.model_copy(update={"redis_url": redis_url})
    assert custom.database_url
    runtime = Runtime(
        settings=custom,
        db=Database(custom.database_url, pool_size=2),
        redis=create_redis(redis_url),
        verifier=None,  # type: ignore[arg-type]
    )
    await runtime.redis.flushdb()
    # This app starts on an empty Redis database: what earlier tests left unrelayed in the shared
    # outboxes (thousands of sign-ups) is history this test does not want to wait behind.
    async with runtime.db.sessions() as session, session.begin():
        for schema in ("auth", "booking"):
            outbox = f"{schema}.outbox"
            await session.execute(
                sa.text(f"UPDATE {outbox} SET published_at = now() WHERE published_at IS NULL")
            )
    with smtp_server() as (sink, port):
        sink.bind(asyncio.get_running_loop())
        notify = NotifySettings(
            smtp_host="127.0.0.1", smtp_port=port, poll_seconds=0.05, retry_base_seconds=0.2
        )
        app = create_app(
            custom,
            [
                auth_module.build(custom, FAST_AUTH),
                booking_module.build(custom, booking_settings()),
                notify_module.build(custom, notify),
            ],
            edge=False,
        )
        client, ctx = await start_client(app)
        try:
            yield Platform(client, sink, runtime)
        finally:
            await client.aclose()
            await ctx.__aexit__(None, None, None)  # type: ignore[attr-defined]
            await runtime.redis.aclose()
            await runtime.db.dispose()


async def test_a_paid_reservation_is_mailed_with_scannable_tickets(platform: Platform) -> None:
    client, sink = platform.client, platform.sink
    fan, email = await platform.sign_up()
    admin = await platform.admin()
    show = published_event(rows=1, per_row=4)
    await install(platform.runtime.db, show)
    await deliver(platform.runtime, show)  # catalog's announcement, which notify reads
    seats = [show.seats[0].seat_id, show.seats[1].seat_id]

    hold = await client.post(
        "/api/v1/holds", json={"event_id": show.event_id, "seat_ids": seats}, headers=fan.headers
    )
    assert hold.status_code == 201, hold.text
    reserved = await client.post(
        "/api/v1/reservations", json={"hold_id": hold.json()["id"]}, headers=fan.headers
    )
    assert reserved.status_code == 201, reserved.text
    reservation: dict[str, Any] = reserved.json()
    confirmed = await client.post(
        f"/api/v1/reservations/{reservation['id']}/confirm",
        json={"payment_key": "pk-" + reservation["id"], "amount": reservation["amount"]},
        headers=admin.headers,
    )
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"], confirmed.text

    await sink.wait_for(lambda: len(sink.to(email)) >= 1, timeout=30)
    [mail] = sink.to(email)
    assert mail["Subject"] == "[Tiketi] 예매 완료: Concert (2매)"
    assert "Hall" in body(mail, "plain")
    tickets = await client.get(
        f"/api/v1/reservations/{reservation['id']}/tickets", headers=fan.headers
    )
    assert tickets.status_code == 200, tickets.text
    tokens = {ticket["qr_token"] for ticket in tickets.json()}
    assert len(tokens) == 2
    assert {decode_qr(png) for png in inline_images(mail).values()} == tokens

    # Booking announced the tickets once, in the confirming transaction; a repeated
    # confirmation (payment retrying) issues and announces nothing more.
    again = await client.post(
        f"/api/v1/reservations/{reservation['id']}/confirm",
        json={"payment_key": "pk-" + reservation["id"], "amount": reservation["amount"]},
        headers=admin.headers,
    )
    assert again.json()["outcome"] == "already_confirmed"
    async with platform.runtime.db.engine.connect() as conn:
        announced = await conn.execute(
            sa.text(
                "SELECT payload FROM booking.outbox WHERE event_type = 'TicketsIssued'"
                " AND payload->>'reservation_id' = :id"
            ),
            {"id": reservation["id"]},
        )
        [payload] = announced.scalars().all()
    assert {t["qr_token"] for t in payload["tickets"]} == tokens
    assert {t["seat_id"] for t in payload["tickets"]} == set(seats)
    assert len(sink.to(email)) == 1


async def test_admins_see_and_retry_dead_letters(platform: Platform) -> None:
    client = platform.client
    fan, _ = await platform.sign_up()
    admin = await platform.admin()
    async with platform.runtime.db.engine.begin() as conn:
        email_id = (
            await conn.execute(
                sa.text(
                    "INSERT INTO notify.emails (source_event_id, user_id, kind, data, state,"
                    " attempts, last_error, dead_at) VALUES (:s, :u, 'payment_refunded',"
                    " '{}', 'dead', 8, 'SMTPRecipientsRefused: 550', now()) RETURNING id"
                ),
                {"s": uuid.uuid4(), "u": uuid.uuid4()},
            )
        ).scalar_one()

    assert (await client.get("/api/v1/notifications/dead-letters")).status_code == 401
    denied = await client.get("/api/v1/notifications/dead-letters", headers=fan.headers)
    assert denied.status_code == 403
    listed = await client.get(
        "/api/v1/notifications/dead-letters", params={"limit": 100}, headers=admin.headers
    )
    assert listed.status_code == 200, listed.text
    [item] = [i for i in listed.json()["items"] if i["id"] == email_id]
    assert (item["state"], item["attempts"], item["kind"]) == ("dead", 8, "payment_refunded")
    assert "550" in item["last_error"]

    retried = await client.post(
        f"/api/v1/notifications/dead-letters/{email_id}/retry", headers=admin.headers
    )
    assert retried.status_code == 200, retried.text
    assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)
    again = await client.post(
        f"/api/v1/notifications/dead-letters/{email_id}/retry", headers=admin.headers
    )
    assert (again.status_code, error_code(again)) == (409, "EMAIL_NOT_DEAD")
    missing = await client.post(
        "/api/v1/notifications/dead-letters/999999999/retry", headers=admin.headers
    )
    assert (missing.status_code, error_code(missing)) == (404, "EMAIL_NOT_FOUND")
    bad = await client.get(
        "/api/v1/notifications/dead-letters", params={"cursor": "x"}, headers=admin.headers
    )
    assert (bad.status_code, error_code(bad)) == (400, "INVALID_CURSOR")

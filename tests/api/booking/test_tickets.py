"""Tickets over HTTP: issued on confirmation, shown as a QR code, checked in exactly once."""

from __future__ import annotations

import asyncio
import io
import uuid

import httpx
from PIL import Image
from sqlalchemy import text

from tests.api.booking.conftest import booking_settings
from tests.api.booking.support import (
    PASSWORD,
    Fan,
    details,
    error_code,
    install,
    published_event,
    seat_ids,
    sign_up,
    sign_up_admin,
)
from tests.api.gateway.support import RunningServer
from tiketi.kernel.db import Database
from tiketi.services.booking.domain import qr

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def _login(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def _staff(client: httpx.AsyncClient, admin: Fan) -> Fan:
    email = f"staff-{uuid.uuid4().hex[:12]}@example.com"
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Door"}
    )
    assert response.status_code == 201, response.text
    user_id = response.json()["user"]["id"]
    changed = await client.put(
        f"/api/v1/auth/users/{user_id}/role", json={"role": "staff"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    return Fan(user_id, await _login(client, email))


async def _reserve(client: httpx.AsyncClient, fan: Fan, event_id: str, ids: list[int]) -> str:
    hold = await client.post(
        "/api/v1/holds", json={"event_id": event_id, "seat_ids": ids}, headers=fan.headers
    )
    assert hold.status_code == 201, hold.text
    res = await client.post(
        "/api/v1/reservations", json={"hold_id": hold.json()["id"]}, headers=fan.headers
    )
    assert res.status_code == 201, res.text
    reservation_id: str = res.json()["id"]
    return reservation_id


async def _confirm(client: httpx.AsyncClient, admin: Fan, reservation_id: str, amount: int) -> None:
    response = await client.post(
        f"/api/v1/reservations/{reservation_id}/confirm",
        json={"payment_key": f"pk-{reservation_id}", "amount": amount},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["confirmed"] is True


async def _confirmed_tickets(
    client: httpx.AsyncClient, db: Database, admin: Fan, fan: Fan, seats: int = 2
) -> tuple[str, list[dict[str, object]]]:
    event = published_event()
    await install(db, event)
    ids = seat_ids(event)[:seats]
    reservation_id = await _reserve(client, fan, event.event_id, ids)
    await _confirm(client, admin, reservation_id, 165000 * seats)
    listed = await client.get(f"/api/v1/reservations/{reservation_id}/tickets", headers=fan.headers)
    assert listed.status_code == 200, listed.text
    return reservation_id, listed.json()


async def _ticket_count(db: Database, reservation_id: str) -> int:
    async with db.engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM booking.tickets WHERE reservation_id = :r"),
            {"r": reservation_id},
        )
    return int(count or 0)


async def test_confirmation_issues_one_ticket_per_seat_once(
    api: httpx.AsyncClient, db: Database
) -> None:
    admin, fan = await sign_up_admin(api, db), await sign_up(api)
    event = published_event()
    await install(db, event)
    ids = seat_ids(event)[:2]
    reservation_id = await _reserve(api, fan, event.event_id, ids)
    path = f"/api/v1/reservations/{reservation_id}/tickets"

    pending = await api.get(path, headers=fan.headers)
    assert pending.status_code == 409
    assert error_code(pending) == "NOT_CONFIRMED"
    assert details(pending) == {"status": "pending_payment"}

    await _confirm(api, admin, reservation_id, 2 * 165000)
    await _confirm(api, admin, reservation_id, 2 * 165000)  # a repeated confirm issues none
    assert await _ticket_count(db, reservation_id) == 2

    tickets = (await api.get(path, headers=fan.headers)).json()
    assert [t["seat"]["id"] for t in tickets] == ids
    assert tickets[0]["seat"] == {
        "id": ids[0],
        "section": "Section VIP",
        "row": "A",
        "number": "1",
        "grade": "VIP",
    }
    assert set(tickets[0]) == {"id", "seat", "qr_token"}
    assert len({t["qr_token"] for t in tickets}) == 2
    key = booking_settings().ticket_key.get_secret_value().encode()
    assert all(str(qr.verify(t["qr_token"], key)) == t["id"] for t in tickets)
    # An admin sees them; another fan is told nothing exists.
    assert (await api.get(path, headers=admin.headers)).status_code == 200
    stranger = await sign_up(api)
    other = await api.get(path, headers=stranger.headers)
    assert other.status_code == 404
    assert error_code(other) == "RESERVATION_NOT_FOUND"


async def test_qr_png(api: httpx.AsyncClient, db: Database) -> None:
    admin, fan = await sign_up_admin(api, db), await sign_up(api)
    _, tickets = await _confirmed_tickets(api, db, admin, fan, seats=1)
    path = f"/api/v1/tickets/{tickets[0]['id']}/qr.png"
    response = await api.get(path, headers=fan.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(response.content))
    image.load()
    # A version-3 code (29 modules) plus a 2-module border, 8 px per module.
    assert image.size[0] == image.size[1] > 0
    assert image.size[0] % 8 == 0
    assert (await api.get(path, headers=admin.headers)).status_code == 200
    stranger = await sign_up(api)
    assert (await api.get(path, headers=stranger.headers)).status_code == 404
    missing = await api.get(f"/api/v1/tickets/{uuid.uuid4()}/qr.png", headers=fan.headers)
    assert missing.status_code == 404
    assert error_code(missing) == "TICKET_NOT_FOUND"
    assert (await api.get("/api/v1/tickets/nope/qr.png", headers=fan.headers)).status_code == 404


async def test_check_in_once_then_409(api: httpx.AsyncClient, db: Database) -> None:
    admin, fan = await sign_up_admin(api, db), await sign_up(api)
    staff = await _staff(api, admin)
    _, tickets = await _confirmed_tickets(api, db, admin, fan, seats=1)
    ticket = tickets[0]
    body = {"qr_token": ticket["qr_token"]}

    first = await api.post("/api/v1/checkin", json=body, headers=staff.headers)
    assert first.status_code == 200, first.text
    admitted = first.json()
    assert admitted["id"] == ticket["id"]
    assert admitted["seat"] == ticket["seat"]
    assert admitted["event_id"] and admitted["checked_in_at"]

    again = await api.post("/api/v1/checkin", json=body, headers=admin.headers)
    assert again.status_code == 409
    assert error_code(again) == "ALREADY_CHECKED_IN"
    assert details(again)["checked_in_at"].startswith(admitted["checked_in_at"][:19])


async def test_customers_cannot_check_in(api: httpx.AsyncClient, db: Database) -> None:
    admin, fan = await sign_up_admin(api, db), await sign_up(api)
    _, tickets = await _confirmed_tickets(api, db, admin, fan, seats=1)
    body = {"qr_token": tickets[0]["qr_token"]}
    assert (await api.post("/api/v1/checkin", json=body, headers=fan.headers)).status_code == 403
    assert (await api.post("/api/v1/checkin", json=body)).status_code == 401
    # The ticket is still unused.
    assert (await api.post("/api/v1/checkin", json=body, headers=admin.headers)).status_code == 200


async def test_forged_and_malformed_tokens_are_refused(
    api: httpx.AsyncClient, db: Database
) -> None:
    admin, fan = await sign_up_admin(api, db), await sign_up(api)
    _, tickets = await _confirmed_tickets(api, db, admin, fan, seats=1)
    genuine = str(tickets[0]["qr_token"])
    ticket_id = uuid.UUID(str(tickets[0]["id"]))
    for token in (
        qr.sign(ticket_id, b"a key the attacker guessed"),
        genuine[:-1] + ("A" if genuine[-1] != "A" else "Q"),
        qr.sign(uuid.uuid4(), b"dev-insecure-ticket-key-wrong"),
        "garbage",
    ):
        response = await api.post(
            "/api/v1/checkin", json={"qr_token": token}, headers=admin.headers
        )
        assert response.status_code == 404, token
        assert error_code(response) == "TICKET_NOT_FOUND"
    too_long = await api.post(
        "/api/v1/checkin", json={"qr_token": "x" * 500}, headers=admin.headers
    )
    assert too_long.status_code == 422
    # None of that touched the genuine ticket.
    ok = await api.post("/api/v1/checkin", json={"qr_token": genuine}, headers=admin.headers)
    assert ok.status_code == 200


async def test_canceled_reservation_voids_its_tickets(api: httpx.AsyncClient, db: Database) -> None:
    admin, fan = await sign_up_admin(api, db), await sign_up(api)
    reservation_id, tickets = await _confirmed_tickets(api, db, admin, fan, seats=2)
    canceled = await api.post(f"/api/v1/reservations/{reservation_id}/cancel", headers=fan.headers)
    assert canceled.status_code == 200, canceled.text
    response = await api.post(
        "/api/v1/checkin", json={"qr_token": tickets[0]["qr_token"]}, headers=admin.headers
    )
    assert response.status_code == 409
    assert error_code(response) == "TICKET_VOID"
    listed = await api.get(f"/api/v1/reservations/{reservation_id}/tickets", headers=fan.headers)
    assert listed.status_code == 409
    assert error_code(listed) == "NOT_CONFIRMED"
    png = await api.get(f"/api/v1/tickets/{tickets[0]['id']}/qr.png", headers=fan.headers)
    assert png.status_code == 409
    assert error_code(png) == "TICKET_VOID"


async def test_twenty_concurrent_scans_admit_once(server: RunningServer, db: Database) -> None:
    scanners = 20
    limits = httpx.Limits(max_connections=scanners, max_keepalive_connections=scanners)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:
        admin, fan = await sign_up_admin(client, db), await sign_up(client)
        _, tickets = await _confirmed_tickets(client, db, admin, fan, seats=1)
        body = {"qr_token": tickets[0]["qr_token"]}
        start = asyncio.Event()

        async def scan() -> httpx.Response:
            await start.wait()
            return await client.post("/api/v1/checkin", json=body, headers=admin.headers)

        tasks = [asyncio.ensure_future(scan()) for _ in range(scanners)]
        await asyncio.sleep(0.05)
        start.set()
        responses = await asyncio.gather(*tasks)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (scanners - 1), [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    for response in responses:
        if response.status_code == 409:
            assert error_code(response) == "ALREADY_CHECKED_IN"
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT checked_in_at, checked_in_by FROM booking.tickets WHERE id = :id"),
                {"id": winner["id"]},
            )
        ).one()
    assert row.checked_in_at is not None and str(row.checked_in_by) == admin.id

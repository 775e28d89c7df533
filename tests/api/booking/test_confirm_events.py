"""What a confirmation writes: one ticket per seat, ReservationConfirmed then TicketsIssued (whose
tickets are exactly the rows issued), and nothing more when it is repeated."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from tests.api.booking.support import install, published_event, seat_ids, sign_up, sign_up_admin
from tiketi.kernel.db import Database


async def _outbox(db: Database, reservation_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT event_type, payload FROM booking.outbox "
                "WHERE payload->>'reservation_id' = :r ORDER BY id"
            ),
            {"r": reservation_id},
        )
        return [(row[0], row[1]) for row in rows.all()]


async def _tickets(db: Database, reservation_id: str) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT t.id, t.seat_id, t.qr_token, s.section, s.row, s.number, s.grade "
                "FROM booking.tickets t JOIN booking.seats s "
                "ON s.event_id = t.event_id AND s.seat_id = t.seat_id "
                "WHERE t.reservation_id = :r AND t.voided_at IS NULL ORDER BY t.seat_id"
            ),
            {"r": reservation_id},
        )
        return [
            {
                "ticket_id": str(row[0]),
                "seat_id": row[1],
                "qr_token": row[2],
                "section": row[3],
                "row": row[4],
                "number": row[5],
                "grade": row[6],
            }
            for row in rows.all()
        ]


async def _created_at(db: Database, reservation_id: str) -> str:
    async with db.engine.connect() as conn:
        value = await conn.scalar(
            text("SELECT created_at FROM booking.reservations WHERE id = :r"), {"r": reservation_id}
        )
    assert value is not None
    return str(value.isoformat())


async def test_a_confirmation_publishes_its_tickets_once_in_order(
    api: httpx.AsyncClient, db: Database
) -> None:
    admin, fan = await sign_up_admin(api, db), await sign_up(api)
    event = published_event()
    await install(db, event)
    # Asked for out of seat order: tickets and events still come by seat.
    ids = list(reversed(seat_ids(event)[:3]))
    hold = await api.post(
        "/api/v1/holds", json={"event_id": event.event_id, "seat_ids": ids}, headers=fan.headers
    )
    assert hold.status_code == 201, hold.text
    created = await api.post(
        "/api/v1/reservations", json={"hold_id": hold.json()["id"]}, headers=fan.headers
    )
    assert created.status_code == 201, created.text
    reservation = created.json()
    reservation_id = reservation["id"]
    # The answer's created_at is the stored one (returned by the INSERT, not read again).
    stored = await _created_at(db, reservation_id)
    assert reservation["created_at"].replace("Z", "+00:00") == stored

    for _ in range(2):  # the repeat confirms nothing new
        confirmed = await api.post(
            f"/api/v1/reservations/{reservation_id}/confirm",
            json={"payment_key": f"pk-{reservation_id}", "amount": reservation["amount"]},
            headers=admin.headers,
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["confirmed"] is True

    tickets = await _tickets(db, reservation_id)
    assert [t["seat_id"] for t in tickets] == sorted(ids)
    events = await _outbox(db, reservation_id)
    assert [kind for kind, _ in events] == [
        "ReservationCreated",
        "ReservationConfirmed",
        "TicketsIssued",
    ]
    confirmed_event, issued = events[1][1], events[2][1]
    assert confirmed_event["seat_ids"] == sorted(ids)
    assert confirmed_event["payment_key"] == f"pk-{reservation_id}"
    assert issued["user_id"] == fan.id
    assert issued["event_id"] == event.event_id
    assert issued["tickets"] == tickets

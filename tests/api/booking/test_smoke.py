"""The happy path: seat map, hold, reservation, confirm."""

from __future__ import annotations

import httpx

from tests.api.booking.support import install, published_event, seat_ids, sign_up
from tiketi.kernel.db import Database


async def test_hold_and_reserve(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event()
    assert await install(db, event)
    fan = await sign_up(api)
    seats = await api.get(f"/api/v1/events/{event.event_id}/seats")
    assert seats.status_code == 200, seats.text
    assert len(seats.json()["seats"]) == 20
    ids = seat_ids(event)[:2]
    hold = await api.post(
        "/api/v1/holds", json={"event_id": event.event_id, "seat_ids": ids}, headers=fan.headers
    )
    assert hold.status_code == 201, hold.text
    after = (await api.get(f"/api/v1/events/{event.event_id}/seats")).json()
    assert after["version"] > seats.json()["version"]
    held = {s["id"] for s in after["seats"] if s["status"] == "held"}
    assert held == set(ids)
    res = await api.post(
        "/api/v1/reservations", json={"hold_id": hold.json()["id"]}, headers=fan.headers
    )
    assert res.status_code == 201, res.text
    assert res.json()["amount"] == 2 * 165000

"""Holds and reservations over HTTP: every row and error code of API.md's booking part."""

from __future__ import annotations

from datetime import timedelta

import httpx
from redis.asyncio import Redis

from tests.api.booking.conftest import QUEUE_KEY
from tests.api.booking.support import (
    details,
    error_code,
    install,
    published_event,
    seat_ids,
    sign_up,
)
from tiketi.contracts.admission import admitted_key, issue_admission_token
from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings


async def _hold(
    api: httpx.AsyncClient, fan_headers: dict[str, str], **body: object
) -> httpx.Response:
    return await api.post("/api/v1/holds", json=body, headers=fan_headers)


async def test_seat_map_unknown_event_is_404(api: httpx.AsyncClient) -> None:
    import uuid

    response = await api.get(f"/api/v1/events/{uuid.uuid4()}/seats")
    assert response.status_code == 404
    assert error_code(response) == "EVENT_NOT_FOUND"
    assert (await api.get("/api/v1/events/not-a-uuid/seats")).status_code == 404


async def test_holds_are_all_or_nothing(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event()
    await install(db, event)
    first, second = await sign_up(api), await sign_up(api)
    ids = seat_ids(event)
    assert (
        await _hold(api, first.headers, event_id=event.event_id, seat_ids=ids[:2])
    ).status_code == 201
    response = await _hold(api, second.headers, event_id=event.event_id, seat_ids=ids[1:3])
    assert response.status_code == 409
    assert error_code(response) == "SEAT_UNAVAILABLE"
    assert details(response)["seat_ids"] == [ids[1]]
    # ids[2] was not held by the failed request.
    assert (
        await _hold(api, second.headers, event_id=event.event_id, seat_ids=[ids[2]])
    ).status_code == 201


async def test_bad_seat_lists_are_422(api: httpx.AsyncClient, db: Database) -> None:
    event, other = published_event(), published_event()
    await install(db, event)
    await install(db, other)
    fan = await sign_up(api)
    for body in (
        {"event_id": event.event_id, "seat_ids": []},
        {"event_id": event.event_id, "seat_ids": [seat_ids(event)[0]] * 2},
        {"event_id": event.event_id, "seat_ids": [seat_ids(other)[0]]},
        {"event_id": event.event_id, "seat_ids": [123]},
        {"event_id": event.event_id},
        {"event_id": event.event_id, "grade": "VIP", "quantity": 0},
        {"event_id": event.event_id, "grade": "NOPE", "quantity": 1},
    ):
        response = await _hold(api, fan.headers, **body)
        assert response.status_code == 422, (body, response.text)
        assert error_code(response) == "VALIDATION_ERROR"


async def test_ticket_limit_counts_live_seats(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event(max_tickets=3)
    await install(db, event)
    fan = await sign_up(api)
    ids = seat_ids(event)
    response = await _hold(api, fan.headers, event_id=event.event_id, seat_ids=ids[:4])
    assert response.status_code == 422 and error_code(response) == "TICKET_LIMIT"
    assert (
        await _hold(api, fan.headers, event_id=event.event_id, seat_ids=ids[:2])
    ).status_code == 201
    response = await _hold(api, fan.headers, event_id=event.event_id, grade="VIP", quantity=2)
    assert response.status_code == 422 and error_code(response) == "TICKET_LIMIT"
    assert (
        await _hold(api, fan.headers, event_id=event.event_id, grade="VIP", quantity=1)
    ).status_code == 201


async def test_sale_window_and_unknown_event(api: httpx.AsyncClient, db: Database) -> None:
    import uuid

    early = published_event(opens_in=timedelta(hours=1))
    late = published_event(opens_in=timedelta(days=-2), closes_in=timedelta(hours=-1))
    await install(db, early)
    await install(db, late)
    fan = await sign_up(api)
    response = await _hold(api, fan.headers, event_id=early.event_id, seat_ids=seat_ids(early)[:1])
    assert response.status_code == 409 and error_code(response) == "SALE_NOT_OPEN"
    response = await _hold(api, fan.headers, event_id=late.event_id, seat_ids=seat_ids(late)[:1])
    assert response.status_code == 409 and error_code(response) == "SALE_CLOSED"
    response = await _hold(api, fan.headers, event_id=str(uuid.uuid4()), seat_ids=[1])
    assert response.status_code == 404
    assert (
        await api.post("/api/v1/holds", json={"event_id": early.event_id, "seat_ids": [1]})
    ).status_code == 401


async def test_queue_needs_admission(
    api: httpx.AsyncClient, db: Database, settings: PlatformSettings
) -> None:
    event = published_event(queue=True)
    await install(db, event)
    fan, other = await sign_up(api), await sign_up(api)
    body = {"event_id": event.event_id, "seat_ids": seat_ids(event)[:1]}
    response = await api.post("/api/v1/holds", json=body, headers=fan.headers)
    assert response.status_code == 403 and error_code(response) == "ADMISSION_REQUIRED"
    theirs = issue_admission_token(
        key=QUEUE_KEY, user_id=other.id, event_id=event.event_id, ttl=timedelta(minutes=5), jti="1"
    )
    response = await api.post(
        "/api/v1/holds", json=body, headers={**fan.headers, "X-Admission-Token": theirs}
    )
    assert response.status_code == 403
    mine = issue_admission_token(
        key=QUEUE_KEY, user_id=fan.id, event_id=event.event_id, ttl=timedelta(minutes=5), jti="2"
    )
    with_mine = {**fan.headers, "X-Admission-Token": mine}
    # Signed but not (or no longer) in the waiting room's ledger: refused.
    response = await api.post("/api/v1/holds", json=body, headers=with_mine)
    assert response.status_code == 403 and error_code(response) == "ADMISSION_REQUIRED"
    assert settings.redis_url
    redis = Redis.from_url(settings.redis_url)
    try:
        await redis.hset(admitted_key(event.event_id), fan.id, "2")
        response = await api.post("/api/v1/holds", json=body, headers=with_mine)
        assert response.status_code == 201, response.text
        # The fan left and joined again: the old token (jti 2) is a replay now.
        await redis.hset(admitted_key(event.event_id), fan.id, "7")
        again = {"event_id": event.event_id, "seat_ids": seat_ids(event)[1:2]}
        response = await api.post("/api/v1/holds", json=again, headers=with_mine)
        assert response.status_code == 403 and error_code(response) == "ADMISSION_REQUIRED"
    finally:
        await redis.aclose()


async def test_release_and_reservation_flow(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event()
    await install(db, event)
    fan, other = await sign_up(api), await sign_up(api)
    ids = seat_ids(event)
    hold = (await _hold(api, fan.headers, event_id=event.event_id, seat_ids=ids[:2])).json()
    assert (
        await api.delete(f"/api/v1/holds/{hold['id']}", headers=other.headers)
    ).status_code == 404
    assert (await api.delete(f"/api/v1/holds/{hold['id']}", headers=fan.headers)).status_code == 204
    # Free again at once, for anyone.
    again = await _hold(api, other.headers, event_id=event.event_id, seat_ids=ids[:2])
    assert again.status_code == 201
    response = await api.post(
        "/api/v1/reservations", json={"hold_id": hold["id"]}, headers=fan.headers
    )
    assert response.status_code == 410 and error_code(response) == "HOLD_EXPIRED"
    hold_id = again.json()["id"]
    response = await api.post(
        "/api/v1/reservations", json={"hold_id": hold_id}, headers=fan.headers
    )
    assert response.status_code == 404
    created = await api.post(
        "/api/v1/reservations", json={"hold_id": hold_id}, headers=other.headers
    )
    assert created.status_code == 201
    reservation = created.json()
    assert reservation["status"] == "pending_payment" and reservation["currency"] == "KRW"
    assert reservation["amount"] == 2 * 165000
    assert reservation["expires_at"] == again.json()["expires_at"]
    same = await api.post("/api/v1/reservations", json={"hold_id": hold_id}, headers=other.headers)
    assert same.json()["id"] == reservation["id"]
    assert (await api.delete(f"/api/v1/holds/{hold_id}", headers=other.headers)).status_code == 409
    listed = (await api.get("/api/v1/reservations?limit=1", headers=other.headers)).json()
    assert [r["id"] for r in listed["items"]] == [reservation["id"]]
    got = await api.get(f"/api/v1/reservations/{reservation['id']}", headers=other.headers)
    assert got.status_code == 200
    assert (
        await api.get(f"/api/v1/reservations/{reservation['id']}", headers=fan.headers)
    ).status_code == 404
    canceled = await api.post(
        f"/api/v1/reservations/{reservation['id']}/cancel", headers=other.headers
    )
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert (
        await _hold(api, fan.headers, event_id=event.event_id, seat_ids=ids[:2])
    ).status_code == 201


async def test_best_available_holds_adjacent_seats(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event(rows=2, per_row=6)
    await install(db, event)
    fan = await sign_up(api)
    response = await _hold(api, fan.headers, event_id=event.event_id, grade="VIP", quantity=3)
    assert response.status_code == 201, response.text
    seats = response.json()["seats"]
    assert len({s["row"] for s in seats}) == 1
    numbers = sorted(int(s["number"]) for s in seats)
    assert numbers == list(range(numbers[0], numbers[0] + 3))

"""Idempotency-Key on POST /api/v1/holds and POST /api/v1/reservations."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select

from tests.api.booking.support import error_code, install, published_event, seat_ids, sign_up
from tiketi.kernel.db import Database, UnitOfWork
from tiketi.services.booking.adapters.orm import Hold, Reservation


def _with_key(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def _count(db: Database, model: type[Hold] | type[Reservation], user_id: str) -> int:
    async with UnitOfWork(db.sessions) as uow:
        query = select(func.count()).select_from(model).where(model.user_id == uuid.UUID(user_id))
        return int((await uow.session.execute(query)).scalar_one())


async def test_a_repeated_hold_returns_the_first_hold(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event()
    await install(db, event)
    fan = await sign_up(api)
    headers = _with_key(fan.headers, f"hold-{uuid.uuid4()}")
    body = {"event_id": event.event_id, "seat_ids": seat_ids(event)[:2]}

    first = await api.post("/api/v1/holds", json=body, headers=headers)
    second = await api.post("/api/v1/holds", json=body, headers=headers)

    assert first.status_code == second.status_code == 201, second.text
    assert second.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await _count(db, Hold, fan.id) == 1


async def test_racing_duplicate_holds_make_one_hold(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event()
    await install(db, event)
    fan = await sign_up(api)
    headers = _with_key(fan.headers, f"hold-{uuid.uuid4()}")
    body = {"event_id": event.event_id, "grade": "VIP", "quantity": 2}

    responses = await asyncio.gather(
        *(api.post("/api/v1/holds", json=body, headers=headers) for _ in range(10))
    )

    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    for response in responses:
        assert response.status_code in (201, 409), response.text
        if response.status_code == 409:
            assert error_code(response) == "IDEMPOTENCY_IN_PROGRESS"
            assert response.headers["Retry-After"] == "1"
    assert await _count(db, Hold, fan.id) == 1


async def test_a_reused_key_with_another_body_is_422(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event()
    await install(db, event)
    fan = await sign_up(api)
    headers = _with_key(fan.headers, "same-key")
    ids = seat_ids(event)
    first = await api.post(
        "/api/v1/holds", json={"event_id": event.event_id, "seat_ids": ids[:1]}, headers=headers
    )
    assert first.status_code == 201
    response = await api.post(
        "/api/v1/holds", json={"event_id": event.event_id, "seat_ids": ids[1:2]}, headers=headers
    )
    assert response.status_code == 422
    assert error_code(response) == "IDEMPOTENCY_KEY_REUSED"
    assert await _count(db, Hold, fan.id) == 1


async def test_a_failed_hold_does_not_burn_the_key(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event()
    await install(db, event)
    first, second = await sign_up(api), await sign_up(api)
    ids = seat_ids(event)
    body = {"event_id": event.event_id, "seat_ids": ids[:1]}
    taken = await api.post("/api/v1/holds", json=body, headers=first.headers)
    assert taken.status_code == 201
    headers = _with_key(second.headers, "retry-me")
    refused = await api.post("/api/v1/holds", json=body, headers=headers)
    assert refused.status_code == 409 and error_code(refused) == "SEAT_UNAVAILABLE"
    # Released: the seat is free now, and the same key simply runs again.
    assert (
        await api.delete(f"/api/v1/holds/{taken.json()['id']}", headers=first.headers)
    ).is_success
    retried = await api.post("/api/v1/holds", json=body, headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers


async def test_a_malformed_key_is_422_naming_the_header(api: httpx.AsyncClient) -> None:
    fan = await sign_up(api)
    response = await api.post(
        "/api/v1/holds",
        json={"event_id": str(uuid.uuid4()), "seat_ids": [1]},
        headers=_with_key(fan.headers, "x" * 256),
    )
    assert response.status_code == 422 and error_code(response) == "VALIDATION_ERROR"
    assert "Idempotency-Key" in response.json()["error"]["details"]


async def test_a_repeated_reservation_returns_the_first(
    api: httpx.AsyncClient, db: Database
) -> None:
    event = published_event()
    await install(db, event)
    fan = await sign_up(api)
    hold = await api.post(
        "/api/v1/holds",
        json={"event_id": event.event_id, "seat_ids": seat_ids(event)[:2]},
        headers=fan.headers,
    )
    other = await api.post(
        "/api/v1/holds",
        json={"event_id": event.event_id, "seat_ids": seat_ids(event)[2:3]},
        headers=fan.headers,
    )
    headers = _with_key(fan.headers, f"reserve-{uuid.uuid4()}")

    first = await api.post(
        "/api/v1/reservations", json={"hold_id": hold.json()["id"]}, headers=headers
    )
    second = await api.post(
        "/api/v1/reservations", json={"hold_id": hold.json()["id"]}, headers=headers
    )
    reused = await api.post(
        "/api/v1/reservations", json={"hold_id": other.json()["id"]}, headers=headers
    )

    assert first.status_code == second.status_code == 201, second.text
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert reused.status_code == 422 and error_code(reused) == "IDEMPOTENCY_KEY_REUSED"
    assert await _count(db, Reservation, fan.id) == 1


async def test_openapi_documents_the_header(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    for path in ("/api/v1/holds", "/api/v1/reservations"):
        operation = spec["paths"][path]["post"]
        names = {p["name"] for p in operation.get("parameters", [])}
        assert "Idempotency-Key" in names
        schema = operation["responses"]["201"]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith(("HoldRead", "ReservationRead"))

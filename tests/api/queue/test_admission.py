"""Admission tokens at booking's door, live progress and admission over Socket.IO, floods."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import socketio
from redis.asyncio import Redis

from tests.api.booking.support import error_code, seat_ids
from tests.api.gateway.support import RunningServer
from tests.api.queue.conftest import mint, platform_app
from tests.api.queue.support import install, queue_settings, room
from tests.conftest import start_client
from tiketi.contracts.admission import admitted_key
from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings


def _url(event_id: str, action: str = "join") -> str:
    return f"/api/v1/queue/{event_id}/{action}"


async def _hold(
    http: httpx.AsyncClient, event_id: str, seat: int, headers: dict[str, str], token: str | None
) -> httpx.Response:
    extra = {"X-Admission-Token": token} if token else {}
    return await http.post(
        "/api/v1/holds",
        json={"event_id": event_id, "seat_ids": [seat]},
        headers={**headers, **extra},
    )


async def test_booking_takes_a_current_admission_and_refuses_replayed_and_foreign_ones(
    http: httpx.AsyncClient, db: Database, redis: Redis
) -> None:
    event = room(max_active=5, rate=50)
    await install(db, event, booking=True)
    seats = seat_ids(event)
    fan, other = mint(), mint()

    joined = await http.post(_url(event.event_id), headers=fan.headers)
    assert joined.status_code == 200
    place = joined.json()
    assert place["status"] == "admitted" and place["admission_token"]  # a quiet event
    token = place["admission_token"]
    without = await _hold(http, event.event_id, seats[0], fan.headers, None)
    assert without.status_code == 403 and error_code(without) == "ADMISSION_REQUIRED"
    held = await _hold(http, event.event_id, seats[0], fan.headers, token)
    assert held.status_code == 201, held.text
    # Someone else's token is refused (bound to the fan).
    foreign = await _hold(http, event.event_id, seats[1], other.headers, token)
    assert foreign.status_code == 403 and error_code(foreign) == "ADMISSION_REQUIRED"

    left = await http.delete(f"/api/v1/queue/{event.event_id}", headers=fan.headers)
    assert left.status_code == 204
    assert await redis.hget(admitted_key(event.event_id), fan.id) is None
    # The token is still signed and unexpired, but no longer the fan's current admission.
    replayed = await _hold(http, event.event_id, seats[2], fan.headers, token)
    assert replayed.status_code == 403 and error_code(replayed) == "ADMISSION_REQUIRED"
    # Back in the room, a new admission (a new jti) works again.
    back = (await http.post(_url(event.event_id), headers=fan.headers)).json()
    assert back["status"] == "admitted" and back["admission_token"] != token
    again = await _hold(http, event.event_id, seats[2], fan.headers, back["admission_token"])
    assert again.status_code == 201, again.text


async def test_a_socket_client_hears_progress_and_its_own_admission(
    server: RunningServer, http: httpx.AsyncClient, db: Database
) -> None:
    event = room(max_active=1, rate=50)
    await install(db, event)
    first, second = mint(), mint()
    assert (await http.post(_url(event.event_id), headers=first.headers)).json()["status"] == (
        "admitted"
    )
    progress: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    admitted: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("queue:progress", progress.put_nowait)
    sio.on("queue:admitted", admitted.put_nowait)
    await sio.connect(server.url, auth={"token": second.token}, transports=["websocket"])
    try:
        joined_room = await sio.call("join_queue", {"event_id": event.event_id}, timeout=5)
        assert joined_room["ok"] is True
        waiting = (await http.post(_url(event.event_id), headers=second.headers)).json()
        assert waiting["status"] == "waiting" and waiting["ticket_number"] == 2

        left = await http.delete(f"/api/v1/queue/{event.event_id}", headers=first.headers)
        assert left.status_code == 204

        message = await asyncio.wait_for(admitted.get(), timeout=5)
        assert message["event_id"] == event.event_id and message["expires_at"]
        status = (await http.get(_url(event.event_id, "status"), headers=second.headers)).json()
        assert status["status"] == "admitted"
        assert message["admission_token"] == status["admission_token"]

        async def serving_two() -> dict[str, Any]:
            while True:
                update = await progress.get()
                if update["event_id"] == event.event_id and update["serving_number"] == 2:
                    return update

        update = await asyncio.wait_for(serving_two(), timeout=5)
        assert update["eta_per_person"] > 0
    finally:
        await sio.disconnect()


async def test_join_floods_are_refused_with_retry_after(
    migrated: PlatformSettings, db: Database
) -> None:
    event = room()
    await install(db, event)
    per_user = queue_settings(join_per_user_per_minute=6, join_per_user_burst=3)
    per_ip = queue_settings(join_per_ip_per_minute=60, join_per_user_per_minute=0)
    for settings, fans in ((per_user, [mint()] * 4), (per_ip, [mint() for _ in range(6)])):
        app = platform_app(migrated, settings)
        client, ctx = await start_client(app)  # type: ignore[arg-type]
        try:
            answers = [await client.post(_url(event.event_id), headers=fan.headers) for fan in fans]
        finally:
            await client.aclose()
            await ctx.__aexit__(None, None, None)  # type: ignore[attr-defined]
        assert [a.status_code for a in answers[:-1]] == [200] * (len(fans) - 1)
        flooded = answers[-1]
        assert flooded.status_code == 429 and error_code(flooded) == "RATE_LIMITED"
        assert int(flooded.headers["Retry-After"]) >= 1

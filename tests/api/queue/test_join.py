"""Joining over real HTTP: a thousand at once, the same place again, errors, Redis loss."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import aiohttp
import httpx
import pytest
from redis.asyncio import Redis

from tests.api.booking.support import error_code
from tests.api.gateway.support import RunningServer
from tests.api.queue.conftest import mint
from tests.api.queue.support import install, lose_state, room
from tiketi.kernel.db import Database
from tiketi.services.queue.adapters.events import EventRows

PLACE_FIELDS = {
    "status", "phase", "ticket_number", "position", "eta_seconds", "serving_number",
    "opens_at", "admission_token", "admission_expires_at",
}  # fmt: skip


def _join_url(event_id: str) -> str:
    return f"/api/v1/queue/{event_id}/join"


@pytest.mark.slow
async def test_a_thousand_concurrent_joins_get_a_thousand_consecutive_numbers(
    server: RunningServer, http: httpx.AsyncClient, db: Database
) -> None:
    event = room(max_active=10, rate=5)
    await install(db, event)
    fans = [mint() for _ in range(1000)]
    start = asyncio.Event()
    # aiohttp: httpx's pool spends more time choosing among 50 connections than the server
    # spends on a join.
    connector = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(server.url, connector=connector) as session:

        async def join(headers: dict[str, str]) -> tuple[int, dict[str, object]]:
            await start.wait()
            async with session.post(_join_url(event.event_id), headers=headers) as answer:
                return answer.status, await answer.json()

        tasks = [asyncio.ensure_future(join(fan.headers)) for fan in fans]
        start.set()
        answers = await asyncio.gather(*tasks)
        # Joining again (at once, all of them) creates no place: the same numbers come back.
        again = await asyncio.gather(*(join(fan.headers) for fan in fans))

    assert [status for status, _ in answers] == [200] * 1000, answers[0]
    bodies = [body for _, body in answers]
    assert set(bodies[0]) == PLACE_FIELDS
    assert sorted(int(str(b["ticket_number"])) for b in bodies) == list(range(1, 1001))
    assert sum(b["status"] == "admitted" for b in bodies) <= 10
    assert [b["ticket_number"] for _, b in again] == [b["ticket_number"] for b in bodies]
    last = next(i for i, b in enumerate(bodies) if b["ticket_number"] == 1000)
    status = await http.get(f"/api/v1/queue/{event.event_id}/status", headers=fans[last].headers)
    assert status.status_code == 200
    waiting = status.json()
    assert waiting["status"] == "waiting" and waiting["ticket_number"] == 1000
    assert waiting["position"] >= 900 and waiting["eta_seconds"] > 0


async def test_errors_name_what_is_wrong(http: httpx.AsyncClient, db: Database) -> None:
    fan = mint()
    unknown = await http.post(_join_url(str(uuid.uuid4())), headers=fan.headers)
    assert unknown.status_code == 404 and error_code(unknown) == "EVENT_NOT_FOUND"
    garbage = await http.post(_join_url("not-an-id"), headers=fan.headers)
    assert garbage.status_code == 404 and error_code(garbage) == "EVENT_NOT_FOUND"
    open_room = room()
    disabled = room(enabled=False)
    early = room(opens_in=timedelta(hours=3))
    over = room(opens_in=timedelta(hours=-3), closes_in=timedelta(seconds=-1))
    canceled = room()
    for event in (open_room, disabled, early, over, canceled):
        await install(db, event)
    async with db.sessions() as session, session.begin():
        await EventRows(session).cancel(canceled.event_id)
    anonymous = await http.post(_join_url(open_room.event_id))
    assert anonymous.status_code == 401
    answer = await http.post(_join_url(disabled.event_id), headers=fan.headers)
    assert answer.status_code == 409 and error_code(answer) == "QUEUE_DISABLED"
    for event, reason in ((early, "not_open_yet"), (over, "sale_closed"),
                          (canceled, "event_canceled")):  # fmt: skip
        answer = await http.post(_join_url(event.event_id), headers=fan.headers)
        assert answer.status_code == 409 and error_code(answer) == "QUEUE_CLOSED", answer.text
        assert answer.json()["error"]["details"]["reason"] == reason
    challenge = await http.get(f"/api/v1/queue/{open_room.event_id}/challenge", headers=fan.headers)
    assert challenge.status_code == 200 and challenge.json()["difficulty"] == 0  # no bot check
    nobody = await http.get(f"/api/v1/queue/{open_room.event_id}/status", headers=fan.headers)
    assert nobody.status_code == 404 and error_code(nobody) == "NOT_IN_QUEUE"
    for _ in range(2):  # leaving without a place, twice: harmless
        left = await http.delete(f"/api/v1/queue/{open_room.event_id}", headers=fan.headers)
        assert left.status_code == 204


async def test_a_room_that_lost_its_redis_state_answers_queue_reset(
    http: httpx.AsyncClient, db: Database, redis: Redis
) -> None:
    event = room(max_active=1, rate=5)
    await install(db, event)
    first, second = mint(), mint()
    for fan in (first, second):
        assert (await http.post(_join_url(event.event_id), headers=fan.headers)).status_code == 200

    await lose_state(redis, event.event_id)

    status_url = f"/api/v1/queue/{event.event_id}/status"
    for fan in (second, first):
        lost = await http.get(status_url, headers=fan.headers)
        assert lost.status_code == 409 and error_code(lost) == "QUEUE_RESET", lost.text
        assert "join again" in lost.json()["error"]["message"].lower()
    rejoined = await http.post(_join_url(event.event_id), headers=second.headers)
    assert rejoined.status_code == 200 and rejoined.json()["ticket_number"] == 1
    assert (await http.get(status_url, headers=second.headers)).status_code == 200

"""The live seat map across real processes: two `tiketi serve` sharing PostgreSQL and Redis.

A python-socketio client watches an event on process A; a fan holds and releases seats over
HTTP on process B. The change reaches the watcher through the Redis manager, as it does between
replicas in production (test_realtime_processes covers the transport with a stand-in module and
the npm client; this one runs the real booking service end to end).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import socketio

from tests.api.booking.support import install, published_event, seat_ids, sign_up
from tests.e2e.support import Served, served_env
from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import PostgresServer, RedisServer

pytestmark = pytest.mark.slow

# What the issue asks of the live seat map: another fan's hold is on screen within a second.
WITHIN = 1.0


@pytest.fixture(scope="module")
def processes(
    tmp_path_factory: pytest.TempPathFactory,
    migrated: PlatformSettings,
    pg: PostgresServer,
    redis_server: RedisServer,
) -> Iterator[tuple[Served, Served]]:
    """Two booking replicas (with auth, for tokens) on one database and one Redis."""
    logs = tmp_path_factory.mktemp("seatmap")
    # A Redis database of their own for streams and caches (pub/sub spans every database).
    env = served_env(pg.dsn, f"redis://127.0.0.1:{redis_server.port}/11")
    # The session's schemas are migrated already; neither process migrates.
    a = Served(logs / "a.log", env, ["auth", "booking"])
    b = Served(logs / "b.log", env, ["auth", "booking"])
    try:
        # Both boot at once (each start() waits for its own /ready).
        with ThreadPoolExecutor(2) as pool:
            for started in [pool.submit(a.start), pool.submit(b.start)]:
                started.result()
        yield a, b
        assert b.stop() == 0, b.log.read_text()[-4000:]
        assert a.stop() == 0, a.log.read_text()[-4000:]
    finally:
        b.kill()
        a.kill()


@pytest.fixture
async def db(migrated: PlatformSettings) -> AsyncIterator[Database]:
    assert migrated.database_url
    database = Database(migrated.database_url, pool_size=1)
    yield database
    await database.dispose()


async def _next_changes(
    received: asyncio.Queue[dict[str, Any]], event_id: str, wanted: dict[int, str]
) -> int:
    """Wait (up to WITHIN) until every wanted seat change arrived; the last message's version.

    The server batches changes, so they may come in one message or several.
    """
    deadline = time.monotonic() + WITHIN
    pending = dict(wanted)
    version = 0
    while pending:
        remaining = deadline - time.monotonic()
        try:
            message = await asyncio.wait_for(received.get(), timeout=max(remaining, 0.001))
        except TimeoutError:
            raise AssertionError(f"no seats:changed for {pending} within {WITHIN}s") from None
        assert message["event_id"] == event_id
        version = int(message["version"])
        for change in message["changes"]:
            if pending.get(change["id"]) == change["status"]:
                del pending[change["id"]]
    return version


async def test_a_watcher_on_one_process_sees_holds_made_on_another(
    processes: tuple[Served, Served], db: Database
) -> None:
    a, b = processes
    event = published_event(rows=2, per_row=8)
    await install(db, event)
    seats = seat_ids(event)[2:4]
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=10) as on_a,
        httpx.AsyncClient(base_url=b.url, timeout=10) as on_b,
    ):
        watcher = await sign_up(on_a, "watcher")
        holder = await sign_up(on_b, "holder")
        received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("seats:changed", received.put_nowait)
        await sio.connect(a.url, auth={"token": watcher.token}, transports=["websocket"])
        try:
            joined = await sio.call("join_event", {"event_id": event.event_id}, timeout=5)
            assert joined == {"ok": True, "room": f"event:{event.event_id}"}

            hold = await on_b.post(
                "/api/v1/holds",
                json={"event_id": event.event_id, "seat_ids": seats},
                headers=holder.headers,
            )
            assert hold.status_code == 201, hold.text
            held_version = await _next_changes(
                received, event.event_id, dict.fromkeys(seats, "held")
            )
            # Process A serves the same map at (at least) the announced version.
            seat_map = (await on_a.get(f"/api/v1/events/{event.event_id}/seats")).json()
            assert seat_map["version"] >= held_version
            statuses = {seat["id"]: seat["status"] for seat in seat_map["seats"]}
            assert [statuses[s] for s in seats] == ["held", "held"]

            released = await on_b.delete(
                f"/api/v1/holds/{hold.json()['id']}", headers=holder.headers
            )
            assert released.status_code == 204
            released_version = await _next_changes(
                received, event.event_id, dict.fromkeys(seats, "available")
            )
            assert released_version > held_version
        finally:
            await sio.disconnect()

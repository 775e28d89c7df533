"""`tiketi serve --workers 2`: worker processes on one port, one platform.

Both workers run every service against one PostgreSQL and one Redis, as two replicas would:
whichever worker a connection lands on, a fan sees the same seat map. A worker that dies is
replaced without the platform going down, and SIGTERM stops them all with exit 0.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import psutil
import pytest

from tests.api.booking.support import install, published_event, seat_ids, sign_up
from tests.e2e.support import Served, served_env
from tiketi.kernel.db import Database
from tiketi.kernel.testing.servers import PostgresServer, RedisServer, create_database

pytestmark = pytest.mark.slow

# Redis database of this module's platform (tests/conftest.py open_runtime lists the others).
WORKERS_REDIS_DB = 7


@pytest.fixture(scope="module")
def database_url(pg: PostgresServer) -> str:
    # A database of its own: its relays and sweepers must not take other tests' rows.
    return create_database(pg, "tiketi_workers")


@pytest.fixture
def served(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_server: RedisServer
) -> Iterator[Served]:
    logs = tmp_path_factory.mktemp("workers")
    # The edge rate limit stays on: its buckets are shared by the workers through Redis.
    env = served_env(
        database_url,
        f"redis://127.0.0.1:{redis_server.port}/{WORKERS_REDIS_DB}",
        TIKETI_RATE_LIMIT_PER_MINUTE="1200",
    )
    server = Served(logs / "serve.log", env, ["--migrate", "--workers", "2", "--grace", "3"])
    try:
        server.start()
        yield server
    finally:
        server.kill()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, pool_size=1)
    yield database
    await database.dispose()


def workers(served: Served) -> set[int]:
    """The pids of the supervisor's spawned worker processes."""
    assert served.proc is not None
    found = set()
    for child in psutil.Process(served.proc.pid).children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(child.cmdline()):
                found.add(child.pid)
        except psutil.Error:  # gone (or a zombie) between the listing and the look
            continue
    return found


async def fresh_read(url: str, event_id: str) -> dict[int, str] | int:
    """The seat map over a new connection (so either worker may answer); statuses, version."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.get(f"/api/v1/events/{event_id}/seats")
    assert response.status_code == 200, response.text
    body = response.json()
    return {"version": body["version"], **{s["id"]: s["status"] for s in body["seats"]}}


async def test_workers_serve_one_platform_a_dead_one_is_replaced_and_sigterm_stops_all(
    served: Served, db: Database
) -> None:
    started = workers(served)
    assert len(started) == 2

    event = published_event(rows=1, per_row=6)
    await install(db, event)
    seats = seat_ids(event)[:2]
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        fan = await sign_up(client, "worker-fan")
        hold = await client.post(
            "/api/v1/holds",
            json={"event_id": event.event_id, "seat_ids": seats},
            headers=fan.headers,
        )
    assert hold.status_code == 201, hold.text

    # Twenty new connections: whichever worker answers serves the hold at the same version.
    reads = await asyncio.gather(*[fresh_read(served.url, event.event_id) for _ in range(20)])
    assert all(read == reads[0] for read in reads)
    assert [reads[0][s] for s in seats] == ["held", "held"]  # type: ignore[index]

    victim = min(started)
    psutil.Process(victim).send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = workers(served)
        if victim not in now and len(now) == 2:
            break
        await asyncio.sleep(0.2)
    replaced = workers(served)
    assert victim not in replaced and len(replaced) == 2, served.log.read_text()[-3000:]
    # The survivor answered meanwhile; once the replacement is up every read is whole again.
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        for _ in range(300):
            if (await client.get("/ready")).status_code == 200:
                break
            await asyncio.sleep(0.2)
    after = await asyncio.gather(*[fresh_read(served.url, event.event_id) for _ in range(10)])
    assert all(read == reads[0] for read in after)

    assert await asyncio.to_thread(served.stop) == 0, served.log.read_text()[-3000:]
    assert not [pid for pid in replaced if psutil.pid_exists(pid)]

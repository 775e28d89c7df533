"""Reads come from Redis: changes show at once, and a hot event costs one database load."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event as sa_event

from tests.api.catalog.conftest import Accounts, create_event, publish
from tiketi.kernel.runtime import Runtime


def runtime_of(api: httpx.AsyncClient) -> Runtime:
    runtime: Runtime = api._transport.app.state.runtime  # type: ignore[attr-defined]
    return runtime


@contextmanager
def counting_statements(runtime: Runtime) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs, but the outbox
    relays' polling, which runs in the background whatever the requests do."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if ".outbox" not in statement:
            statements.append(statement)

    engine = runtime.db.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)


async def test_a_thousand_concurrent_readers_of_a_hot_event_cost_one_query(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    event = await create_event(api, accounts.organizer)
    await publish(api, accounts.organizer, event["id"])
    path = f"/api/v1/events/{event['id']}"
    runtime = runtime_of(api)

    with counting_statements(runtime) as statements:
        started = time.perf_counter()
        responses = await asyncio.gather(*(api.get(path) for _ in range(1000)))
        elapsed = time.perf_counter() - started
    print(f"\n1,000 concurrent reads in {elapsed:.2f} s, {len(statements)} SQL statement(s)")

    assert {response.status_code for response in responses} == {200}
    assert {response.json()["title"] for response in responses} == {event["title"]}
    # The publish invalidated the cache, so the first readers missed: one load served all.
    assert len(statements) == 1, statements
    with counting_statements(runtime) as statements:
        await asyncio.gather(*(api.get(path) for _ in range(200)))
    assert statements == []


async def test_a_change_shows_at_once_in_the_detail_and_in_lists(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    event = await create_event(api, accounts.organizer)
    await publish(api, accounts.organizer, event["id"])
    path = f"/api/v1/events/{event['id']}"
    listing = {"venue_id": event["venue"]["id"]}
    # Warm both caches.
    assert (await api.get(path)).json()["title"] == event["title"]
    assert [
        i["title"] for i in (await api.get("/api/v1/events", params=listing)).json()["items"]
    ] == [event["title"]]

    patched = await api.patch(path, json={"title": "Encore"}, headers=accounts.organizer.headers)

    assert patched.status_code == 200
    assert (await api.get(path)).json()["title"] == "Encore"
    items = (await api.get("/api/v1/events", params=listing)).json()["items"]
    assert [item["title"] for item in items] == ["Encore"]
    canceled = await api.post(f"{path}/cancel", headers=accounts.organizer.headers)
    assert canceled.status_code == 200
    assert (await api.get(path)).json()["sale_state"] == "closed"
    assert (await api.get("/api/v1/events", params=listing)).json()["items"] == []


async def test_availability_comes_from_bookings_counts_at_read_time(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    event = await create_event(api, accounts.organizer)
    await publish(api, accounts.organizer, event["id"])
    path = f"/api/v1/events/{event['id']}"
    redis = runtime_of(api).redis
    key = f"booking:availability:{event['id']}"
    before = (await api.get(path)).json()  # cached from here on

    await redis.hset(key, mapping={"VIP": 2})
    partly = (await api.get(path)).json()
    await redis.hset(key, mapping={"VIP": 0, "R": 0})
    sold_out = (await api.get(path)).json()
    listed = (await api.get("/api/v1/events", params={"venue_id": event["venue"]["id"]})).json()
    await redis.delete(key)

    assert before["sale_state"] == "on_sale" and before["available"] == 8
    assert [(g["code"], g["available"]) for g in partly["grades"]] == [("VIP", 2), ("R", 3)]
    assert partly["available"] == 5
    assert sold_out["sale_state"] == "sold_out" and sold_out["available"] == 0
    assert listed["items"][0]["sale_state"] == "sold_out"

"""The throttle of `stats:updated`: at most one push per window per event, the last change
always pushed, events independent of each other."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

from tiketi.services.stats.service.push import STATS_UPDATED, StatsPusher

INTERVAL = 0.2


async def test_a_burst_is_pushed_at_most_once_a_window_and_ends_on_the_latest() -> None:
    version = {"n": 0}
    sent: list[tuple[float, str, dict[str, Any]]] = []
    loop = asyncio.get_running_loop()

    async def read(event_id: uuid.UUID) -> tuple[dict[str, Any], str]:
        return {"event_id": str(event_id), "n": version["n"]}, "organizer"

    async def emit(user_id: str, name: str, body: dict[str, Any]) -> None:
        assert (user_id, name) == ("organizer", STATS_UPDATED)
        sent.append((loop.time(), str(body["event_id"]), body))

    pusher = StatsPusher(read, emit, interval=INTERVAL)
    first, second = uuid.uuid4(), uuid.uuid4()
    for n in range(1, 31):
        version["n"] = n
        pusher.request(first)
        if n % 10 == 0:
            pusher.request(second)
        await asyncio.sleep(INTERVAL / 10)
    await pusher.idle()

    mine = [(at, body) for at, eid, body in sent if eid == str(first)]
    assert 2 <= len(mine) < 30
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(mine)]
    assert all(gap >= INTERVAL * 0.95 for gap in gaps), gaps
    assert mine[-1][1]["n"] == 30
    theirs = [body for _, eid, body in sent if eid == str(second)]
    assert theirs and theirs[-1]["n"] == 30


async def test_a_failed_read_is_logged_and_the_next_change_is_pushed() -> None:
    calls = {"n": 0}
    sent: list[dict[str, Any]] = []

    async def read(event_id: uuid.UUID) -> tuple[dict[str, Any], str]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return {"n": calls["n"]}, "organizer"

    async def emit(user_id: str, name: str, body: dict[str, Any]) -> None:
        sent.append(body)

    pusher = StatsPusher(read, emit, interval=0.01)
    event_id = uuid.uuid4()
    pusher.request(event_id)
    await pusher.idle()
    assert sent == []
    pusher.request(event_id)
    await pusher.idle()
    assert sent == [{"n": 2}]

"""The pre-queue through the API: fans join before the sale, the draw is published at
opening, and anyone can recompute it from the revealed seed (independently of our code)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import httpx

from tests.api.queue.conftest import mint
from tests.api.queue.support import eventually, install, move_opening, room
from tiketi.kernel.db import Database


def recompute(seed_hex: str, joiners: list[str]) -> list[str]:
    """docs/waiting-room.md's algorithm, written from the document, not imported."""
    seed = bytes.fromhex(seed_hex)
    order = sorted(joiners)
    counter = 0

    def below(n: int) -> int:
        nonlocal counter
        limit = 2**64 - 2**64 % n
        while True:
            digest = hmac.new(seed, counter.to_bytes(8, "big"), hashlib.sha256).digest()
            counter += 1
            value = int.from_bytes(digest[:8], "big")
            if value < limit:
                return value % n

    for i in range(len(order) - 1, 0, -1):
        j = below(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


async def test_the_pre_queue_order_is_reproducible_from_the_revealed_seed(
    http: httpx.AsyncClient, db: Database
) -> None:
    event = room(max_active=3, rate=50, opens_in=timedelta(minutes=30))
    await install(db, event)
    fans = [mint() for _ in range(25)]
    fairness_url = f"/api/v1/queue/{event.event_id}/fairness"
    for fan in fans:
        answer = await http.post(f"/api/v1/queue/{event.event_id}/join", headers=fan.headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["phase"] == "pre_queue" and body["ticket_number"] is None
        assert body["status"] == "waiting" and body["position"] is None
    before = (await http.get(fairness_url)).json()
    assert before["seed"] is None and before["joiners"] == [] and before["order"] == []
    assert len(before["commitment"]) == 64

    await move_opening(db, event.event_id)

    async def drawn() -> dict[str, Any] | None:
        record: dict[str, Any] = (await http.get(fairness_url)).json()
        return record if record["seed"] else None

    record = await eventually(drawn)
    assert hashlib.sha256(bytes.fromhex(record["seed"])).hexdigest() == before["commitment"]
    assert record["algorithm"].startswith("tiketi-shuffle-v1")
    assert recompute(record["seed"], record["joiners"]) == record["order"]
    assert sorted(record["order"]) == record["joiners"] and len(record["order"]) == 25
    # Each fan finds themselves by their anonymised id; their ticket is their place + 1.
    for fan in fans:
        mine = hashlib.sha256(f"{event.event_id}:{fan.id}".encode()).hexdigest()
        status = await http.get(f"/api/v1/queue/{event.event_id}/status", headers=fan.headers)
        assert status.status_code == 200
        place = status.json()
        assert place["phase"] == "open"
        assert place["ticket_number"] == record["order"].index(mine) + 1
    late = await http.post(f"/api/v1/queue/{event.event_id}/join", headers=mint().headers)
    assert late.json()["ticket_number"] == 26

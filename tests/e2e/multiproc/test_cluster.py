"""The multi-process mode: two booking and two queue processes (and one of each other service)
behind nginx, sharing one PostgreSQL and one Redis.

A Socket.IO client pinned by nginx to one booking process sees holds made on the other; ticket
numbers stay unique when fans join through both queue processes at once; a fan buys through
nginx from the waiting room to the emailed ticket.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tiketi.multiproc.cluster import Cluster, Member
from tiketi.multiproc.scenario import Fan, Sale, ok, organizer, publish_sale, sign_up, sign_up_many

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# Generous: the cross-process path (Redis pub/sub, batching) takes well under a second; the
# bound only keeps a lost message from hanging the test on a loaded machine.
AWAIT_SECONDS = 10.0


@pytest.fixture(scope="module")
async def owner(cluster: Cluster, admin_email: str) -> Fan:
    async with httpx.AsyncClient(base_url=cluster.url, timeout=30) as client:
        return await organizer(client, admin_email)


async def _sale(cluster: Cluster, owner: Fan, **options: Any) -> Sale:
    async with httpx.AsyncClient(base_url=cluster.url, timeout=60) as client:
        return await publish_sale(client, owner, **options)


def _pinned_booking(cluster: Cluster) -> Member:
    """The booking process nginx pins this client's Socket.IO connections to (ip_hash)."""
    upstreams = set()
    for _ in range(3):
        response = httpx.get(cluster.url + "/socket.io/?EIO=4&transport=polling", timeout=10)
        assert response.status_code == 200, response.text
        upstreams.add(response.headers["x-tiketi-upstream"])
    assert len(upstreams) == 1, f"not sticky: {upstreams}"
    port = int(upstreams.pop().rsplit(":", 1)[1])
    [member] = [m for m in cluster.replicas_of("booking") if m.port == port]
    return member


@pytest.fixture
async def watcher(cluster: Cluster, edge: httpx.AsyncClient) -> AsyncIterator[Any]:
    """A signed-in Socket.IO client through nginx, with the queue of what it received."""
    fan = await sign_up(edge, "watcher")
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    client = socketio.AsyncClient(reconnection=False)
    client.on("seats:changed", received.put_nowait)
    # Long-polling first, then the upgrade: both must reach the same booking process.
    await client.connect(
        cluster.url,
        auth={"token": fan.token},
        transports=["polling", "websocket"],
        wait_timeout=AWAIT_SECONDS,
    )
    try:
        yield client, received
    finally:
        await client.disconnect()


async def _changes(received: asyncio.Queue[dict[str, Any]], wanted: dict[int, str]) -> None:
    pending = dict(wanted)
    deadline = time.monotonic() + AWAIT_SECONDS
    while pending:
        message = await asyncio.wait_for(received.get(), max(0.01, deadline - time.monotonic()))
        for change in message["changes"]:
            if pending.get(change["id"]) == change["status"]:
                del pending[change["id"]]


async def test_a_socket_pinned_to_one_booking_process_sees_a_hold_made_on_the_other(
    cluster: Cluster, owner: Fan, edge: httpx.AsyncClient, watcher: Any
) -> None:
    client, received = watcher
    pinned = _pinned_booking(cluster)
    [other] = [m for m in cluster.replicas_of("booking") if m is not pinned]
    sale = await _sale(cluster, owner, seats=20)
    joined = await client.call("join_event", {"event_id": sale.event_id}, timeout=10)
    assert joined["ok"] is True
    assert client.transport() == "websocket"  # upgraded through nginx

    holder = await sign_up(edge, "holder")
    async with httpx.AsyncClient(base_url=other.url, timeout=30) as direct:
        seats = sale.seat_ids[3:5]
        hold = await direct.post(
            "/api/v1/holds",
            json={"event_id": sale.event_id, "seat_ids": seats},
            headers=holder.headers,
        )
        assert hold.status_code == 201, hold.text
        await _changes(received, dict.fromkeys(seats, "held"))
        released = await direct.delete(f"/api/v1/holds/{hold.json()['id']}", headers=holder.headers)
        assert released.status_code == 204
        await _changes(received, dict.fromkeys(seats, "available"))


async def test_ticket_numbers_stay_unique_across_both_queue_processes(
    cluster: Cluster, owner: Fan, edge: httpx.AsyncClient
) -> None:
    sale = await _sale(
        cluster,
        owner,
        seats=10,
        queue={"enabled": True, "max_active": 10, "admit_per_second": 1},
    )
    fans = await sign_up_many(edge, 200)
    queues = cluster.replicas_of("queue")
    assert len(queues) == 2
    gate = asyncio.Semaphore(50)
    clients = [httpx.AsyncClient(base_url=queue.url, timeout=60) for queue in queues]

    async def join(index: int, fan: Fan) -> dict[str, Any]:
        async with gate:
            response = await clients[index % 2].post(
                f"/api/v1/queue/{sale.event_id}/join", headers=fan.headers
            )
        return ok(response, 200)

    try:
        # Every fan at once, half through each queue process.
        places = await asyncio.gather(*(join(i, fan) for i, fan in enumerate(fans)))
        again = await asyncio.gather(*(join(i + 1, fan) for i, fan in enumerate(fans[:40])))
    finally:
        for client in clients:
            await client.aclose()
    numbers = [place["ticket_number"] for place in places]
    assert sorted(numbers) == list(range(1, len(fans) + 1))
    admitted = [place for place in places if place["status"] == "admitted"]
    assert 1 <= len(admitted) <= 10
    # Joining again through the other process returns the same place.
    assert [p["ticket_number"] for p in again] == numbers[:40]


async def _admission(edge: httpx.AsyncClient, fan: Fan, event_id: str) -> str:
    place = ok(await edge.post(f"/api/v1/queue/{event_id}/join", headers=fan.headers), 200)
    deadline = time.monotonic() + AWAIT_SECONDS
    while place["status"] != "admitted":
        assert time.monotonic() < deadline, place
        await asyncio.sleep(0.2)
        place = ok(await edge.get(f"/api/v1/queue/{event_id}/status", headers=fan.headers), 200)
    token: str = place["admission_token"]
    return token


def _find_mail(directory: Path, email: str) -> str | None:
    for path in directory.glob("*.eml") if directory.exists() else []:
        text = path.read_text(errors="replace")
        if email in text:
            return text
    return None


async def _mail_to(directory: Path, email: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = await asyncio.to_thread(_find_mail, directory, email)
        if found is not None:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"no email to {email} in {directory}")


async def test_a_fan_buys_through_nginx_from_the_waiting_room_to_the_emailed_ticket(
    cluster: Cluster, owner: Fan, edge: httpx.AsyncClient
) -> None:
    sale = await _sale(
        cluster, owner, seats=20, queue={"enabled": True, "max_active": 50, "admit_per_second": 50}
    )
    fan = await sign_up(edge, "buyer")
    token = await _admission(edge, fan, sale.event_id)
    shopping = {**fan.headers, "X-Admission-Token": token}
    hold = ok(
        await edge.post(
            "/api/v1/holds",
            json={"event_id": sale.event_id, "seat_ids": sale.seat_ids[:2]},
            headers={**shopping, "Idempotency-Key": uuid.uuid4().hex},
        ),
        201,
    )
    reservation = ok(
        await edge.post(
            "/api/v1/reservations",
            json={"hold_id": hold["id"]},
            headers={**shopping, "Idempotency-Key": uuid.uuid4().hex},
        ),
        201,
    )
    assert reservation["amount"] == 2 * sale.price
    window = ok(
        await edge.post(
            "/sandbox/toss/v1/payments",
            json={
                "orderId": reservation["id"],
                "orderName": "Cluster sale",
                "amount": reservation["amount"],
            },
        ),
        201,
    )
    paid = ok(
        await edge.post(
            "/api/v1/payments/confirm",
            json={
                "payment_key": window["paymentKey"],
                "order_id": reservation["id"],
                "amount": reservation["amount"],
            },
            headers=fan.headers,
        ),
        200,
    )
    assert paid["status"] == "DONE"
    assert paid["reservation_status"] == "confirmed"
    mine = ok(await edge.get(f"/api/v1/reservations/{reservation['id']}", headers=fan.headers), 200)
    assert mine["status"] == "confirmed"
    tickets = await edge.get(
        f"/api/v1/reservations/{reservation['id']}/tickets", headers=fan.headers
    )
    assert tickets.status_code == 200, tickets.text
    assert len(tickets.json()) == 2
    # The seat map, from either booking process, says sold.
    for member in cluster.replicas_of("booking"):
        async with httpx.AsyncClient(base_url=member.url, timeout=10) as direct:
            seat_map = await direct.get(f"/api/v1/events/{sale.event_id}/seats")
        status = {seat["id"]: seat["status"] for seat in seat_map.json()["seats"]}
        assert [status[s] for s in sale.seat_ids[:2]] == ["sold", "sold"]
    # notify (its own process) wrote the tickets email.
    email = await _mail_to(cluster.workdir / "mail", fan.email)
    assert "Content-Type: image/png" in email

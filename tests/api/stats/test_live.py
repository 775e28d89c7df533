"""`stats:updated` reaches the organizer's Socket.IO connection, at most once a second per
event, and always ends on the latest figures."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import socketio

from tests.api.booking.support import Fan, published_event
from tests.api.gateway.support import RunningServer
from tests.integration.stats.support import send
from tiketi.contracts.booking import ReservationCreated
from tiketi.kernel.runtime import Runtime


def _reservations(event_id: str, seats: list[int]) -> list[ReservationCreated]:
    expires = datetime.now(UTC) + timedelta(hours=1)
    return [
        ReservationCreated(
            reservation_id=f"ord_{uuid.uuid4().hex[:16]}", event_id=event_id,
            user_id=str(uuid.uuid4()), seat_ids=[seat], amount=165000, expires_at=expires,
        )
        for seat in seats
    ]  # fmt: skip


async def test_pushes_are_throttled_per_event_and_end_on_the_latest_figures(
    server: RunningServer, runtime: Runtime, organizer: Fan
) -> None:
    event = published_event().model_copy(update={"organizer_id": organizer.id})
    seats = [seat.seat_id for seat in event.seats]
    loop = asyncio.get_running_loop()
    received: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
    sio = socketio.AsyncClient()
    sio.on("stats:updated", lambda body: received.put_nowait((loop.time(), body)))
    await sio.connect(server.url, auth={"token": organizer.token}, transports=["websocket"])
    pushes: list[tuple[float, dict[str, Any]]] = []

    async def until_held(held: int) -> None:
        while True:
            at, body = await asyncio.wait_for(received.get(), timeout=10)
            assert body["event_id"] == event.event_id
            pushes.append((at, body))
            if body["seats"]["held"] == held:
                return

    try:
        await send(runtime.redis, event)
        # Each burst of five changes goes out the moment the previous figures arrived: the
        # next push must still wait for the rest of its second.
        for burst in range(3):
            await send(
                runtime.redis, *_reservations(event.event_id, seats[burst * 5 : burst * 5 + 5])
            )
            await until_held(5 * (burst + 1))
    finally:
        await sio.disconnect()

    # Fewer pushes than changes (one published event and fifteen reservations). The spacing
    # itself is asserted where it is made, at emit time (tests/unit/stats/test_push.py): arrival
    # times over a loaded loopback socket can bunch up two pushes sent a second apart.
    assert len(pushes) < 16
    last = pushes[-1][1]
    assert last["seats"] == {"total": 20, "available": 5, "held": 15, "sold": 0}

"""A real Socket.IO client watching an event sees another fan's hold within a second."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import socketio

from tests.api.booking.support import install, published_event, seat_ids, sign_up
from tests.api.gateway.support import RunningServer
from tiketi.kernel.db import Database


async def test_watcher_sees_a_hold_and_its_release(server: RunningServer, db: Database) -> None:
    event = published_event()
    await install(db, event)
    seat = seat_ids(event)[3]
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        watcher, holder = await sign_up(http), await sign_up(http)
        received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        sio = socketio.AsyncClient()
        sio.on("seats:changed", received.put_nowait)
        await sio.connect(server.url, auth={"token": watcher.token}, transports=["websocket"])
        try:
            joined = await sio.call("join_event", {"event_id": event.event_id}, timeout=5)
            assert joined["ok"] is True
            hold = await http.post(
                "/api/v1/holds",
                json={"event_id": event.event_id, "seat_ids": [seat]},
                headers=holder.headers,
            )
            assert hold.status_code == 201, hold.text
            message = await asyncio.wait_for(received.get(), timeout=1.0)
            assert message["event_id"] == event.event_id
            assert {"id": seat, "status": "held"} in message["changes"]
            first_version = message["version"]

            released = await http.delete(
                f"/api/v1/holds/{hold.json()['id']}", headers=holder.headers
            )
            assert released.status_code == 204
            message = await asyncio.wait_for(received.get(), timeout=1.0)
            assert {"id": seat, "status": "available"} in message["changes"]
            assert message["version"] > first_version
            seats = (await http.get(f"/api/v1/events/{event.event_id}/seats")).json()
            assert seats["version"] >= message["version"]
        finally:
            await sio.disconnect()

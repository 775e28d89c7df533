"""Socket.IO rooms of booking (the realtime service): live seat maps and queue progress."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from pydantic import BaseModel

from tiketi.kernel.realtime import Realtime, event_room, queue_room
from tiketi.kernel.tokens import Principal
from tiketi.services.booking.adapters.realtime import RealtimeSeatSink


class RoomJoin(BaseModel):
    """`{event_id}` of `join_event` / `join_queue`."""

    event_id: uuid.UUID


def socket_setup(sink: RealtimeSeatSink) -> Callable[[Realtime], None]:
    """Register the room handlers and connect the seat-change sink to the realtime layer."""

    def setup(realtime: Realtime) -> None:
        sink.realtime = realtime

        async def join_event(sid: str, body: RoomJoin, _: Principal | None) -> dict[str, object]:
            room = event_room(body.event_id)
            await realtime.enter_room(sid, room)
            return {"ok": True, "room": room}

        async def leave_event(sid: str, body: RoomJoin, _: Principal | None) -> dict[str, object]:
            await realtime.leave_room(sid, event_room(body.event_id))
            return {"ok": True}

        # The queue service emits progress to this room through Redis from its own process;
        # the gateway routes every /socket.io connection here, so booking hosts the room.
        async def join_queue(sid: str, body: RoomJoin, _: Principal | None) -> dict[str, object]:
            room = queue_room(body.event_id)
            await realtime.enter_room(sid, room)
            return {"ok": True, "room": room}

        realtime.on("join_event", join_event, model=RoomJoin)
        realtime.on("leave_event", leave_event, model=RoomJoin)
        realtime.on("join_queue", join_queue, model=RoomJoin)

    return setup

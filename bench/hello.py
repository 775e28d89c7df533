"""The ceilings on the platform's server stack: a hello-world (FastAPI + uvicorn) and a bare
Socket.IO server (python-socketio + its Redis manager).

uvicorn gets the options `tiketi serve` gives it (uvloop and httptools are picked the same
way, and as many worker processes), so the gap between this and a scenario is what the
platform does per request. The Socket.IO server does nothing but put clients in a room and
emit one `seats:changed` to it per `POST /emit`, through Redis as the platform does
(`BENCH_HELLO_REDIS_URL`): the gap to `socket-fanout` is what the platform adds to a delta.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import socketio
import uvicorn
from fastapi import FastAPI

fastapi_app = FastAPI()
_redis_url = os.environ.get("BENCH_HELLO_REDIS_URL")
sio = socketio.AsyncServer(
    async_mode="asgi",
    client_manager=socketio.AsyncRedisManager(_redis_url) if _redis_url else None,
    cors_allowed_origins=[],
    logger=False,
    engineio_logger=False,
)
app = socketio.ASGIApp(sio, other_asgi_app=fastapi_app)


@fastapi_app.get("/hello")
async def hello() -> dict[str, str]:
    """The smallest JSON answer FastAPI can give."""
    return {"hello": "world"}


async def join_event(sid: str, data: dict[str, Any]) -> dict[str, bool]:
    """Enter the event's room, with no check at all."""
    await sio.enter_room(sid, f"event:{data.get('event_id')}")
    return {"ok": True}


sio.on("join_event", join_event)


@fastapi_app.post("/emit")
async def emit(event_id: str, seat_id: int) -> dict[str, bool]:
    """One seat change to every client in the event's room, as the platform words it."""
    change = {"version": seat_id, "changes": [{"id": seat_id, "status": "held"}]}
    await sio.emit("seats:changed", change, room=f"event:{event_id}")
    return {"ok": True}


def main() -> None:
    """Serve the ceilings on 127.0.0.1:--port."""
    parser = argparse.ArgumentParser(prog="python -m bench.hello")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "bench.hello:app",
        workers=args.workers,
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        ws="websockets-sansio",
    )


if __name__ == "__main__":
    main()

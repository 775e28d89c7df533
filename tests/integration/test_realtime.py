"""The realtime layer with real servers: uvicorn, Redis, and python-socketio clients."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import socketio
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from tiketi.kernel.app_factory import create_app
from tiketi.kernel.engines import EmbeddedRedis
from tiketi.kernel.errors import Conflict
from tiketi.kernel.module import ServiceModule
from tiketi.kernel.realtime import Realtime, event_room
from tiketi.kernel.realtime_batch import ChangeBatcher
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import RedisServer, start_redis
from tiketi.kernel.tokens import Principal

KID = "realtime-test"
SEATS = "seats:changed"


# ------------------------------------------------------------------------ tokens and module


class Keys:
    """A local signing key and the JWKS that verifies it (what auth publishes)."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwks = {"keys": [{**jwk, "kid": KID, "alg": "ES256", "use": "sig"}]}

    def token(self, user_id: str = "u-1", *, expires_in: int = 600) -> str:
        now = int(time.time())
        claims = {
            "sub": user_id,
            "role": "customer",
            "email": f"{user_id}@example.com",
            "typ": "access",
            "iss": "tiketi",
            "aud": "tiketi",
            "iat": now - 60,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, self.private, algorithm="ES256", headers={"kid": KID})


class JoinEvent(BaseModel):
    event_id: str = Field(min_length=1, max_length=64)


class Nothing(BaseModel):
    pass


def live_module(keys: Keys, *, sockets: bool = True) -> ServiceModule:
    """A service like booking: joins event rooms; its HTTP route emits from its process."""

    async def jwks() -> dict[str, Any]:
        return keys.jwks

    async def whoami(sid: str, _: Nothing, principal: Principal | None) -> dict[str, str]:
        assert principal is not None
        return {"id": principal.id}

    async def refuse(sid: str, _: Nothing, principal: Principal | None) -> None:
        raise Conflict("Not now.", code="SEAT_UNAVAILABLE")

    async def crash(sid: str, _: Nothing, principal: Principal | None) -> None:
        raise RuntimeError("a bug")

    def setup(realtime: Realtime) -> None:
        async def join(sid: str, data: JoinEvent, principal: Principal | None) -> dict[str, str]:
            room = event_room(data.event_id)
            await realtime.enter_room(sid, room)
            return {"room": room}

        realtime.on("join_event", join, model=JoinEvent)
        realtime.on("whoami", whoami, model=Nothing, authenticated=True)
        realtime.on("refuse", refuse, model=Nothing)
        realtime.on("crash", crash, model=Nothing)

    return ServiceModule(
        name="live",
        router=APIRouter(),
        uses_database=False,
        exports={"jwks": jwks},
        sockets=setup if sockets else None,
    )


# ------------------------------------------------------------------------ servers and fans


@pytest.fixture(scope="module")
def redis_rt() -> Iterator[RedisServer]:
    """A Redis of our own: the restart test stops it, which the session's must never see."""
    server = start_redis()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture
def live_settings(redis_rt: RedisServer) -> PlatformSettings:
    return PlatformSettings(env="test", redis_url=redis_rt.url, rate_limit_per_minute=0)


class Served:
    """One app under uvicorn on this event loop (so the test can use its runtime directly)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(
            app,
            lifespan="on",
            log_config=None,
            log_level="warning",
            access_log=False,
            ws="websockets-sansio",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    @property
    def realtime(self) -> Realtime:
        runtime: Runtime = self.app.state.runtime
        return runtime.realtime

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert not self.task.done(), "uvicorn exited"
            assert time.monotonic() < deadline, "uvicorn did not start"
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


@pytest.fixture
async def serve(live_settings: PlatformSettings, keys: Keys) -> AsyncIterator[Any]:
    """serve() starts another socket server (a process of its own, as far as Socket.IO knows)."""
    started: list[Served] = []

    async def start(*, sockets: bool = True) -> Served:
        served = Served(create_app(live_settings, [live_module(keys, sockets=sockets)], edge=True))
        await served.start()
        started.append(served)
        return served

    yield start
    for served in reversed(started):
        await served.stop()


@contextlib.asynccontextmanager
async def emitter(settings: PlatformSettings, keys: Keys) -> AsyncIterator[Runtime]:
    """A process without sockets (a sweeper, another service): emits through Redis only."""
    app = create_app(settings, [live_module(keys, sockets=False)], edge=False)
    async with app.router.lifespan_context(app):
        yield app.state.runtime


class Fan:
    """A real python-socketio client that records what it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: dict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
        self.refused: Any = None
        for event in (SEATS, "error", "queue:admitted"):
            self.sio.on(event, self._keep(event))

        @self.sio.on("connect_error")
        async def refused(data: Any) -> None:
            self.refused = data

    def _keep(self, event: str) -> Any:
        async def keep(data: Any) -> None:
            self.inbox[event].put_nowait((time.monotonic(), data))

        return keep

    async def connect(
        self, url: str, token: str | None = None, transports: list[str] | None = None
    ) -> Fan:
        await self.sio.connect(
            url,
            auth={"token": token} if token else None,
            transports=transports or ["websocket"],
            wait_timeout=5,
        )
        return self

    async def join(self, event_id: str) -> Any:
        return await self.sio.call("join_event", {"event_id": event_id}, timeout=5)

    async def next(self, event: str = SEATS, timeout: float = 2.0) -> Any:
        _, data = await asyncio.wait_for(self.inbox[event].get(), timeout)
        return data

    async def drain(self, event: str = SEATS, quiet: float = 0.5) -> list[tuple[float, Any]]:
        """Everything received until nothing more comes for `quiet` seconds."""
        got = []
        with contextlib.suppress(TimeoutError):
            while True:
                got.append(await asyncio.wait_for(self.inbox[event].get(), quiet))
        return got

    async def close(self) -> None:
        if not self.sio.connected:
            return
        if self.sio.transport() == "websocket":
            await self.sio.disconnect()
            return
        # python-engineio's polling client waits out its pending long poll (~30 s) on a clean
        # disconnect; a test has better things to do, so drop the connection instead.
        eio = self.sio.eio
        tasks = [t for t in (eio.read_loop_task, eio.write_loop_task) if t is not None]
        await eio.disconnect(abort=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
async def fans() -> AsyncIterator[Any]:
    made: list[Fan] = []

    def make() -> Fan:
        made.append(Fan())
        return made[-1]

    yield make
    for fan in made:
        await fan.close()


def new_event() -> str:
    return str(uuid.uuid4())


# ------------------------------------------------------------------------ seat maps, batched


async def test_a_burst_of_seat_changes_arrives_batched_last_status_winning(
    serve: Any, fans: Any, keys: Keys
) -> None:
    server = await serve()
    fan = await fans().connect(server.url, keys.token())
    event_id = new_event()
    assert await fan.join(event_id) == {"room": f"event:{event_id}"}

    statuses = ["held", "available", "held", "sold"]
    calls = 0
    for version in range(1, 13):
        seat = f"s{version % 3}"
        status = statuses[version % len(statuses)]
        await server.realtime.publish_seat_changes(
            event_id, version, [{"id": seat, "status": status}]
        )
        calls += 1
        await asyncio.sleep(0.02)
    messages = await fan.drain()

    assert 1 <= len(messages) < calls
    # At most one message per room per 200 ms window (a little slack for the scheduler).
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(messages)]
    assert all(gap > 0.15 for gap in gaps), gaps
    versions = [data["version"] for _, data in messages]
    assert versions == sorted(versions) and versions[-1] == 12
    final: dict[str, str] = {}
    for _, data in messages:
        assert data["event_id"] == event_id
        final.update({change["id"]: change["status"] for change in data["changes"]})
    # Version 12 set s0 to "held", 11 set s2 to "sold", 10 set s1 to "held".
    assert final == {"s0": "held", "s2": "sold", "s1": "held"}


async def test_one_change_goes_out_at_once_and_only_to_its_room(
    serve: Any, fans: Any, keys: Keys
) -> None:
    server = await serve()
    watching, elsewhere = await fans().connect(server.url), await fans().connect(server.url)
    event_id = new_event()
    await watching.join(event_id)
    await elsewhere.join(new_event())

    started = time.monotonic()
    await server.realtime.publish_seat_changes(event_id, 7, [{"id": "a1", "status": "held"}])

    assert await watching.next() == {
        "event_id": event_id,
        "version": 7,
        "changes": [{"id": "a1", "status": "held"}],
    }
    # The first change of a quiet room goes at once, not after a 200 ms window.
    assert time.monotonic() - started < 0.18
    assert await elsewhere.drain(quiet=0.3) == []


# ------------------------------------------------------------------------ across processes


async def test_an_emit_on_one_server_reaches_a_client_of_another(
    serve: Any, fans: Any, keys: Keys, live_settings: PlatformSettings
) -> None:
    a, b = await serve(), await serve()
    fan = await fans().connect(a.url, keys.token())
    event_id = new_event()
    await fan.join(event_id)

    await b.realtime.publish_seat_changes(event_id, 3, [{"id": "b7", "status": "held"}])
    assert (await fan.next(timeout=1.0))["changes"] == [{"id": "b7", "status": "held"}]

    async with emitter(live_settings, keys) as sweeper:
        assert sweeper.realtime.server is None  # no module of its own serves sockets
        await sweeper.realtime.publish_seat_changes(
            event_id, 4, [{"id": "b7", "status": "available"}]
        )
        assert await fan.next(timeout=1.0) == {
            "event_id": event_id,
            "version": 4,
            "changes": [{"id": "b7", "status": "available"}],
        }


async def test_a_user_room_reaches_every_connection_of_that_user_only(
    serve: Any, fans: Any, keys: Keys, live_settings: PlatformSettings
) -> None:
    a, b = await serve(), await serve()
    mine_a = await fans().connect(a.url, keys.token("u-42"))
    mine_b = await fans().connect(b.url, keys.token("u-42"))
    someone_else = await fans().connect(a.url, keys.token("u-7"))
    anonymous = await fans().connect(b.url)

    async with emitter(live_settings, keys) as queue_process:
        await queue_process.realtime.emit_to_user("u-42", "queue:admitted", {"token": "t"})

    assert await mine_a.next("queue:admitted") == {"token": "t"}
    assert await mine_b.next("queue:admitted") == {"token": "t"}
    assert await someone_else.drain("queue:admitted", quiet=0.3) == []
    assert await anonymous.drain("queue:admitted", quiet=0.1) == []


async def test_redis_away_local_clients_still_served_and_fan_out_resumes(
    serve: Any, fans: Any, keys: Keys, redis_rt: RedisServer
) -> None:
    a, b = await serve(), await serve()
    fan = await fans().connect(a.url, keys.token())
    event_id = new_event()
    await fan.join(event_id)

    await asyncio.to_thread(redis_rt.stop)
    try:
        await a.realtime.publish_seat_changes(event_id, 10, [{"id": "x", "status": "held"}])
        assert (await fan.next(timeout=1.0))["version"] == 10
        # B's emit cannot leave B now; it waits in B's backlog instead of failing the caller.
        await b.realtime.publish_seat_changes(event_id, 11, [{"id": "x", "status": "sold"}])
        await asyncio.sleep(0.3)
        assert b.realtime.manager.waiting >= 1
        # A's socket server is still up: a new client connects and joins without Redis.
        late = await fans().connect(a.url)
        await late.join(event_id)
    finally:
        await asyncio.to_thread(redis_rt.start)

    # Once Redis is back, what B queued reaches A's clients (A re-subscribed first) ...
    caught_up = await fan.next(timeout=4.0)
    assert caught_up["version"] == 11 and caught_up["changes"] == [{"id": "x", "status": "sold"}]
    # ... and B's new emits do too.
    deadline = time.monotonic() + 8
    version = 100
    while True:
        version += 1
        await b.realtime.publish_seat_changes(event_id, version, [{"id": "y", "status": "held"}])
        got = [data["version"] for _, data in await fan.drain(quiet=0.4)]
        if version in got:
            break
        assert time.monotonic() < deadline, "fan-out did not resume after Redis came back"
    assert b.realtime.manager.waiting == 0
    assert version in [data["version"] for _, data in await late.drain(quiet=0.2)]


async def test_a_socket_server_that_starts_while_redis_is_down_serves_and_joins_later(
    serve: Any, fans: Any, keys: Keys, redis_rt: RedisServer
) -> None:
    # The seeds' incident 5: the adapter's Redis failed at boot and the clean-up crashed.
    await asyncio.to_thread(redis_rt.stop)
    try:
        a = await serve()
        fan = await fans().connect(a.url, keys.token())
        event_id = new_event()
        await fan.join(event_id)
        await a.realtime.publish_seat_changes(event_id, 1, [{"id": "z", "status": "held"}])
        assert (await fan.next(timeout=1.0))["version"] == 1
    finally:
        await asyncio.to_thread(redis_rt.start)

    b = await serve()
    deadline = time.monotonic() + 5
    version = 1
    while True:
        version += 1
        await b.realtime.publish_seat_changes(event_id, version, [{"id": "z", "status": "sold"}])
        if version in [data["version"] for _, data in await fan.drain(quiet=0.3)]:
            break
        assert time.monotonic() < deadline, "A never joined the fan-out after Redis came up"


async def test_fan_out_over_the_embedded_redis_unix_socket(
    fans: Any, keys: Keys, tmp_path: Path
) -> None:
    # `make run` without URLs: the embedded Redis listens on a unix socket only.
    with EmbeddedRedis(tmp_path / "var") as embedded:
        settings = PlatformSettings(env="test", redis_url=embedded.url, rate_limit_per_minute=0)
        a = Served(create_app(settings, [live_module(keys)]))
        b = Served(create_app(settings, [live_module(keys)]))
        await a.start()
        await b.start()
        try:
            fan = await fans().connect(a.url, keys.token())
            event_id = new_event()
            await fan.join(event_id)
            await b.realtime.publish_seat_changes(event_id, 2, [{"id": "u", "status": "held"}])
            assert (await fan.next(timeout=2.0))["changes"] == [{"id": "u", "status": "held"}]
            await fan.close()
        finally:
            await b.stop()
            await a.stop()


# ------------------------------------------------------------------------ who may connect


async def test_an_invalid_or_expired_token_is_refused_with_a_code(
    serve: Any, fans: Any, keys: Keys
) -> None:
    server = await serve()
    forged = fans()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await forged.connect(server.url, "not-a-token")
    # What socket.io clients get in connect_error: err.message, and err.data = {code, message}.
    assert forged.refused == {
        "message": "The access token is not valid.",
        "data": {"code": "INVALID_TOKEN", "message": "The access token is not valid."},
    }

    expired = fans()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await expired.connect(server.url, keys.token(expires_in=-120))
    assert expired.refused["data"] == {
        "code": "TOKEN_EXPIRED",
        "message": "The access token has expired.",
    }

    other_key = Keys()
    stranger = fans()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await stranger.connect(server.url, other_key.token())
    assert stranger.refused["data"]["code"] == "INVALID_TOKEN"


async def test_anonymous_clients_watch_public_rooms_but_not_signed_in_events(
    serve: Any, fans: Any, keys: Keys
) -> None:
    server = await serve()
    # Long polling through the FastAPI middleware stack works as well as WebSocket.
    anonymous = await fans().connect(server.url, transports=["polling"])
    event_id = new_event()
    await anonymous.join(event_id)
    await server.realtime.publish_seat_changes(event_id, 1, [{"id": "p", "status": "held"}])
    assert (await anonymous.next())["version"] == 1

    answer = await anonymous.sio.call("whoami", {}, timeout=5)
    assert answer["error"]["code"] == "UNAUTHORIZED"
    assert (await anonymous.next("error"))["code"] == "UNAUTHORIZED"

    signed_in = await fans().connect(server.url, keys.token("u-9"))
    assert await signed_in.sio.call("whoami", {}, timeout=5) == {"id": "u-9"}


async def test_bad_payloads_and_failing_handlers_answer_an_error_and_keep_the_socket(
    serve: Any, fans: Any, keys: Keys
) -> None:
    server = await serve()
    fan = await fans().connect(server.url, keys.token())

    for bad in ({}, {"event_id": ""}, "event-1", [1, 2], {"event_id": "x" * 65}):
        answer = await fan.sio.call("join_event", bad, timeout=5)
        assert answer["error"]["code"] == "VALIDATION_ERROR", bad
        error = await fan.next("error")
        assert error["code"] == "VALIDATION_ERROR" and error["message"]
    assert "event_id" in error["details"]

    await fan.sio.emit("refuse", {})
    assert await fan.next("error") == {
        "code": "SEAT_UNAVAILABLE",
        "message": "Not now.",
        "details": {},
    }
    await fan.sio.emit("crash", {})
    crashed = await fan.next("error")
    assert crashed["code"] == "INTERNAL_ERROR" and "bug" not in crashed["message"]

    # Still connected and served.
    event_id = new_event()
    assert await fan.join(event_id) == {"room": f"event:{event_id}"}


async def test_socket_metrics_and_the_http_api_beside_the_socket_server(
    serve: Any, fans: Any, keys: Keys
) -> None:
    server = await serve()
    fan = await fans().connect(server.url, keys.token())
    event_id = new_event()
    await fan.join(event_id)
    await server.realtime.publish_seat_changes(event_id, 1, [{"id": "m", "status": "held"}])
    await fan.next()

    async with httpx.AsyncClient(base_url=server.url) as http:
        health = await http.get("/health", headers={"X-Request-ID": "rt-1"})
        text = (await http.get("/metrics")).text
        missing = await http.get("/socket.io/?EIO=4&transport=polling&sid=nope")
        after = (await http.get("/metrics")).text
    assert health.status_code == 200 and health.headers["X-Request-ID"] == "rt-1"
    assert "tiketi_socket_connections" in text
    assert 'tiketi_socket_messages_emitted_total{event="seats:changed"}' in text
    # Engine.IO's answers pass through the kernel middleware: request ids, route-named metrics.
    assert missing.status_code == 400 and "X-Request-ID" in missing.headers
    assert 'route="/socket.io",status="400"' in after


async def test_a_process_without_socket_modules_serves_no_socket_io(serve: Any, keys: Keys) -> None:
    server = await serve(sockets=False)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/socket.io/?EIO=4&transport=polling")
    assert response.status_code == 404


# ------------------------------------------------------------------------ the batcher alone


async def test_the_batcher_keeps_the_newest_change_per_key_by_version() -> None:
    sent: list[tuple[str, str, dict[str, Any]]] = []

    async def send(room: str, event: str, payload: dict[str, Any]) -> None:
        sent.append((room, event, payload))

    batcher = ChangeBatcher(send, window=0.05)
    batcher.add("r", "e", "k1", {"id": "k1", "v": 5}, 5, {"event_id": "E"})
    batcher.add("r", "e", "k1", {"id": "k1", "v": 3}, 3)  # late, older: loses
    batcher.add("r", "e", "k2", {"id": "k2", "v": 4}, 4)
    await batcher.flush()
    await batcher.close()
    assert sent == [
        (
            "r",
            "e",
            {
                "event_id": "E",
                "version": 5,
                "changes": [{"id": "k1", "v": 5}, {"id": "k2", "v": 4}],
            },
        )
    ]


async def test_a_failing_send_is_retried_without_losing_newer_changes() -> None:
    sent: list[dict[str, Any]] = []
    delivered = asyncio.Event()
    failures = [RuntimeError("redis away"), ConnectionError("still away")]

    async def send(room: str, event: str, payload: dict[str, Any]) -> None:
        if failures:
            raise failures.pop(0)
        sent.append(payload)
        delivered.set()

    batcher = ChangeBatcher(send, window=0.02)
    batcher.add("r", "e", "a", {"id": "a", "s": "held"}, 1)
    await asyncio.sleep(0.01)
    batcher.add("r", "e", "a", {"id": "a", "s": "sold"}, 2)
    batcher.add("r", "e", "b", {"id": "b", "s": "held"}, 2)
    await asyncio.wait_for(delivered.wait(), 3)
    await batcher.close()
    assert sent == [{"version": 2, "changes": [{"id": "a", "s": "sold"}, {"id": "b", "s": "held"}]}]

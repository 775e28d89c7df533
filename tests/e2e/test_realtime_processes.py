"""Socket.IO fan-out across real processes: two socket servers and a gateway sharing Redis.

The socket servers are this file run as a program (`python -m tests.e2e.test_realtime_processes`):
create_app with a booking-like module that joins event rooms and emits from an HTTP route, so
the test does not depend on any one service. Clients: python-socketio and the npm
socket.io-client the web app uses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
from fastapi import APIRouter
from pydantic import BaseModel, Field

from tests.e2e.support import Served, clean_env, free_port
from tests.integration.test_realtime import Keys
from tiketi.kernel.deps import RuntimeDep
from tiketi.kernel.module import ServiceModule
from tiketi.kernel.realtime import Realtime, event_room
from tiketi.kernel.testing.servers import RedisServer
from tiketi.kernel.tokens import Principal

ROOT = Path(__file__).resolve().parents[2]
NODE_CLIENT = Path(__file__).with_name("socketio_node")


# ------------------------------------------------------------------------ the server program


class JoinEvent(BaseModel):
    event_id: str = Field(min_length=1, max_length=64)


class Emit(BaseModel):
    event_id: str
    version: int
    changes: list[dict[str, Any]]


def live_module(jwks: dict[str, Any]) -> ServiceModule:
    """Joins `event:{id}` rooms over Socket.IO; POST /emit announces seat changes from here."""
    router = APIRouter()

    @router.post("/emit", status_code=202)
    async def emit(body: Emit, runtime: RuntimeDep) -> dict[str, str]:
        await runtime.realtime.publish_seat_changes(body.event_id, body.version, body.changes)
        return {"status": "queued"}

    async def fetch_jwks() -> dict[str, Any]:
        return jwks

    def sockets(realtime: Realtime) -> None:
        async def join(sid: str, data: JoinEvent, principal: Principal | None) -> dict[str, Any]:
            await realtime.enter_room(sid, event_room(data.event_id))
            return {"room": event_room(data.event_id), "user": principal and principal.id}

        realtime.on("join_event", join, model=JoinEvent)

    return ServiceModule(
        name="live",
        router=router,
        uses_database=False,
        exports={"jwks": fetch_jwks},
        sockets=sockets,
    )


def main() -> None:
    import uvicorn

    from tiketi.kernel.app_factory import create_app
    from tiketi.kernel.logs import configure_logging
    from tiketi.kernel.settings import PlatformSettings

    configure_logging(level="INFO", json=True)
    settings = PlatformSettings(rate_limit_per_minute=0)
    app = create_app(settings, [live_module(json.loads(os.environ["RT_JWKS"]))])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=settings.port,
        log_config=None,
        access_log=False,
        ws="websockets-sansio",
        timeout_graceful_shutdown=2,
    )


# ------------------------------------------------------------------------ the tests

pytestmark = pytest.mark.slow


class SocketServer:
    """One socket-server process on its own port."""

    def __init__(self, log: Path, redis_url: str, jwks: dict[str, Any]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = clean_env(
            {"TIKETI_REDIS_URL": redis_url, "PORT": str(self.port), "RT_JWKS": json.dumps(jwks)}
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.test_realtime_processes"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-4000:]
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("socket server did not start:\n" + self.log.read_text()[-4000:])

    def emit(self, event_id: str, version: int, changes: list[dict[str, Any]]) -> None:
        body = {"event_id": event_id, "version": version, "changes": changes}
        response = httpx.post(self.url + "/emit", json=body, timeout=5)
        assert response.status_code == 202, response.text

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, keys: Keys
) -> Iterator[tuple[SocketServer, SocketServer, Served]]:
    logs = tmp_path_factory.mktemp("realtime")
    a = SocketServer(logs / "a.log", redis_server.url, keys.jwks)
    b = SocketServer(logs / "b.log", redis_server.url, keys.jwks)
    gateway = Served(
        logs / "gateway.log",
        {
            "TIKETI_REDIS_URL": redis_server.url,
            # Never used by the gateway; set so `tiketi serve` starts no embedded engines.
            "TIKETI_DATABASE_URL": "postgresql://unused@127.0.0.1:9/unused",
            "TIKETI_GATEWAY_BOOKING_URL": a.url,
        },
        ["gateway"],
    )
    try:
        a.spawn()
        b.spawn()
        gateway.start(ready_path="/health")  # while the socket servers boot
        a.wait_ready()
        b.wait_ready()
        yield a, b, gateway
    finally:
        if gateway.proc is not None and gateway.proc.poll() is None:
            gateway.stop()
        gateway.kill()
        b.stop()
        a.stop()


def event() -> str:
    return f"e2e-{time.monotonic_ns()}"


async def test_python_client_on_one_process_sees_an_emit_from_the_other(
    servers: tuple[SocketServer, SocketServer, Served], keys: Keys
) -> None:
    a, b, _ = servers
    received: list[Any] = []
    client = socketio.AsyncClient(reconnection=False)
    client.on("seats:changed", received.append)
    await client.connect(a.url, auth={"token": keys.token("fan-1")}, transports=["websocket"])
    try:
        event_id = event()
        joined = await client.call("join_event", {"event_id": event_id}, timeout=5)
        assert joined == {"room": f"event:{event_id}", "user": "fan-1"}
        started = time.monotonic()
        b.emit(event_id, 5, [{"id": "r1-s1", "status": "held"}])
        while not received and time.monotonic() - started < 1.0:
            await client.sleep(0.01)
        assert received == [
            {"event_id": event_id, "version": 5, "changes": [{"id": "r1-s1", "status": "held"}]}
        ], "the change did not arrive within a second"
    finally:
        await client.disconnect()


def node_client(tmp_path: Path) -> Path:
    """The npm socket.io-client, installed from the vendored lock into a scratch folder."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("npm and node are needed for the socket.io-client check")
    work = tmp_path / "socketio_node"
    shutil.copytree(NODE_CLIENT, work, ignore=shutil.ignore_patterns("node_modules"))
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return work


def read_step(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"node client said nothing (exit {proc.poll()})"
    step: dict[str, Any] = json.loads(line)
    return step


def test_npm_socket_io_client_through_the_gateway_sees_an_emit_from_another_process(
    servers: tuple[SocketServer, SocketServer, Served], keys: Keys, tmp_path: Path
) -> None:
    _, b, gateway = servers
    work = node_client(tmp_path)
    event_id = event()
    proc = subprocess.Popen(
        ["node", "client.mjs", gateway.url, event_id, keys.token("fan-2")],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        joined = read_step(proc)
        assert joined == {
            "step": "joined",
            "answer": {"room": f"event:{event_id}", "user": "fan-2"},
        }
        b.emit(event_id, 9, [{"id": "r2-s4", "status": "sold"}])
        assert read_step(proc) == {
            "step": "seats:changed",
            "message": {
                "event_id": event_id,
                "version": 9,
                "changes": [{"id": "r2-s4", "status": "sold"}],
            },
        }
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    refused = subprocess.run(
        ["node", "client.mjs", gateway.url, event_id, "forged"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert json.loads(refused.stdout) == {
        "step": "refused",
        "message": "The access token is not valid.",
        "data": {"code": "INVALID_TOKEN", "message": "The access token is not valid."},
    }


if __name__ == "__main__":
    main()

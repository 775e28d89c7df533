"""Real servers for the gateway tests: an echo upstream and gateways, each under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message
from starlette.websockets import WebSocket, WebSocketDisconnect

from tiketi.kernel.app_factory import create_app
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.gateway.module import build
from tiketi.services.gateway.settings import GatewaySettings

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def pattern(size: int) -> bytes:
    """Deterministic bytes that are not all the same, so a reordered chunk would show."""
    block = bytes(range(256)) * 256
    return (block * (size // len(block) + 1))[:size]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Upstream:
    """What the echo app saw: request paths and WebSocket close codes."""

    paths: list[str] = field(default_factory=list)
    socket_closes: list[int | None] = field(default_factory=list)


async def big(request: Request) -> Response:
    size = int(request.query_params["size"])
    data = pattern(size)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, size, 65536):
            yield data[start : start + 65536]

    return StreamingResponse(chunks(), media_type="application/octet-stream")


async def compressed(_: Request) -> Response:
    body = gzip.compress(b'{"compressed": true}')
    return Response(body, media_type="application/json", headers={"Content-Encoding": "gzip"})


async def slow(request: Request) -> Response:
    await asyncio.sleep(float(request.query_params["seconds"]))
    return JSONResponse({"slow": True})


async def status(request: Request) -> Response:
    code = int(request.path_params["code"])
    body = {"error": {"code": "UPSTREAM_SAID", "message": "As is.", "details": {"n": code}}}
    return JSONResponse(body, status_code=code, headers={"Retry-After": "7"})


async def socket_denied(websocket: WebSocket) -> None:
    await websocket.send_denial_response(
        JSONResponse({"error": {"code": "INVALID_TOKEN", "message": "No."}}, status_code=401)
    )


def socket_echo(seen: Upstream) -> Callable[[WebSocket], Awaitable[None]]:
    """Echoes frames; "headers" answers what the upgrade carried, "close" closes with 4001."""

    async def answer(websocket: WebSocket, message: Message) -> bool:
        text = message.get("text")
        if text == "headers":
            pairs = [[k.decode(), v.decode()] for k, v in websocket.headers.raw]
            await websocket.send_json({"headers": pairs, "query": websocket.url.query})
        elif text == "close":
            await websocket.close(code=4001, reason="bye")
            return False
        elif text is not None:
            await websocket.send_text("echo:" + text)
        else:
            await websocket.send_bytes(b"echo:" + (message.get("bytes") or b""))
        return True

    async def endpoint(websocket: WebSocket) -> None:
        offered = websocket.scope.get("subprotocols") or []
        await websocket.accept(subprotocol=offered[0] if offered else None)
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    seen.socket_closes.append(message.get("code"))
                    return
                if not await answer(websocket, message):
                    return
        except WebSocketDisconnect as exc:
            seen.socket_closes.append(exc.code)

    return endpoint


def echo_app(seen: Upstream) -> Starlette:
    """An upstream that tells the test exactly what reached it."""

    async def echo(request: Request) -> Response:
        body = await request.body()
        seen.paths.append(request.url.path)
        response = JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "raw_path": request.scope["raw_path"].decode(),
                "query": request.scope["query_string"].decode(),
                "headers": [[k.decode(), v.decode()] for k, v in request.headers.raw],
                "body_length": len(body),
                "body_sha256": digest(body),
            },
            headers={"X-Upstream": "echo", "Proxy-Authenticate": "Basic realm=upstream"},
        )
        response.set_cookie("first", "1")
        response.set_cookie("second", "2")
        return response

    async def slow_seen(request: Request) -> Response:
        seen.paths.append(request.url.path)  # on arrival: the test knows it is being served
        return await slow(request)

    return Starlette(
        routes=[
            Route("/api/v1/auth/big", big),
            Route("/api/v1/auth/compressed", compressed),
            Route("/api/v1/auth/slow", slow_seen),
            Route("/api/v1/auth/status/{code:int}", status, methods=METHODS),
            WebSocketRoute("/socket.io/", socket_echo(seen)),
            WebSocketRoute("/socket.io/denied/", socket_denied),
            Route("/{path:path}", echo, methods=METHODS),
        ]
    )


@dataclass
class RunningServer:
    """A uvicorn server in a thread of its own, with its own event loop."""

    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "uvicorn did not stop"


def serve(app: ASGIApp, *, lifespan: str = "on", port: int = 0) -> RunningServer:
    """Start `app` on a loopback port (random by default) and wait until it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan=lifespan,  # type: ignore[arg-type]
        log_config=None,
        log_level="warning",
        access_log=False,
        # As `tiketi serve` runs it: X-Forwarded-For is the app's business, not uvicorn's.
        proxy_headers=False,
        ws="websockets-sansio",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"server on port {port} did not start")
        time.sleep(0.01)
    return RunningServer(server=server, thread=thread, port=port)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def gateway_app(platform: PlatformSettings, settings: GatewaySettings) -> Any:
    """What `tiketi serve gateway` runs: the gateway module alone, at the edge."""
    return create_app(platform, [build(platform, settings)], edge=True)


def header_values(pairs: list[list[str]], name: str) -> list[str]:
    return [value for key, value in pairs if key.lower() == name]


StartGateway = Callable[..., RunningServer]


@contextlib.contextmanager
def gateways(platform: PlatformSettings) -> Iterator[StartGateway]:
    """A starter of gateways with the given GatewaySettings fields; all stopped on exit."""
    started: list[RunningServer] = []

    def start(**settings: object) -> RunningServer:
        server = serve(gateway_app(platform, GatewaySettings(**settings)))  # type: ignore[arg-type]
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()

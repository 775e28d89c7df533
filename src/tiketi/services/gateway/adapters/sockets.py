"""The WebSocket half of the gateway: Socket.IO's upgrade, relayed frame by frame."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.typing import Subprotocol

from tiketi.kernel.errors import DomainError, error_response
from tiketi.services.gateway.adapters.headers import request_headers
from tiketi.services.gateway.adapters.proxy import request_id, resolve, upstream_url
from tiketi.services.gateway.domain.errors import UpstreamTimeout, UpstreamUnavailable
from tiketi.services.gateway.settings import GatewaySettings

log = structlog.get_logger("tiketi.gateway")

# The upstream client negotiates its own handshake; the client's protocols go as `subprotocols`.
_HANDSHAKE = frozenset(
    {
        b"sec-websocket-key",
        b"sec-websocket-version",
        b"sec-websocket-extensions",
        b"sec-websocket-protocol",
        b"sec-websocket-accept",
    }
)

# Codes a close frame may not carry (RFC 6455 §7.4.1): "no status", "abnormal", "TLS failure".
_RESERVED_CLOSE = {1005, 1006, 1015}
_BAD_GATEWAY_CLOSE = 1014


def _connected(websocket: WebSocket) -> bool:
    return (
        websocket.client_state == WebSocketState.CONNECTED
        and websocket.application_state == WebSocketState.CONNECTED
    )


def _sendable(code: int | None, fallback: int) -> int:
    return fallback if code is None or code in _RESERVED_CLOSE else code


async def _deny(websocket: WebSocket, error: DomainError) -> None:
    # With the denial extension the client sees our HTTP error; without it, a refused upgrade.
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            error_response(error.status, error.code, error.message, error.details, error.headers)
        )
    else:
        await websocket.close(code=_BAD_GATEWAY_CLOSE)


async def _deny_with_upstream(websocket: WebSocket, exc: InvalidStatus) -> None:
    # The service refused the upgrade (401, 403, 400…): the client gets its answer unchanged.
    if "websocket.http.response" not in websocket.scope.get("extensions", {}):
        await websocket.close(code=1008)
        return
    response = exc.response
    await websocket.send_denial_response(
        Response(
            bytes(response.body or b""),
            status_code=response.status_code,
            media_type=response.headers.get("Content-Type"),
        )
    )


async def _client_to_upstream(websocket: WebSocket, upstream: ClientConnection) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            code = _sendable(message.get("code"), 1000)
            await upstream.close(code=code, reason=message.get("reason") or "")
            return
        text = message.get("text")
        await upstream.send(text if text is not None else message.get("bytes") or b"")


async def _upstream_to_client(websocket: WebSocket, upstream: ClientConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for data in upstream:
            if isinstance(data, str):
                await websocket.send_text(data)
            else:
                await websocket.send_bytes(data)
    if _connected(websocket):
        code = _sendable(upstream.close_code, _BAD_GATEWAY_CLOSE)
        await websocket.close(code=code, reason=upstream.close_reason or None)


class SocketProxy:
    """Relays a WebSocket to the service that owns its path (Socket.IO lives in booking)."""

    def __init__(
        self, settings: GatewaySettings, *, trust_forwarded: bool, max_message_bytes: int
    ) -> None:
        self.settings = settings
        self.trust_forwarded = trust_forwarded
        self.max_message_bytes = max_message_bytes

    async def _open(self, websocket: WebSocket, service: str, base: str) -> ClientConnection:
        url = upstream_url(base, websocket)
        scheme = "wss" if url.scheme == "https" else "ws"
        headers = request_headers(
            websocket.headers.raw,
            client_host=websocket.client.host if websocket.client else None,
            scheme="https" if websocket.url.scheme == "wss" else "http",
            request_id=request_id(websocket),
            trust_forwarded=self.trust_forwarded,
            drop=_HANDSHAKE,
        )
        protocols = [
            Subprotocol(p.strip())
            for p in websocket.headers.get("sec-websocket-protocol", "").split(",")
            if p.strip()
        ]
        return await connect(
            str(url.copy_with(scheme=scheme)),
            additional_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers],
            subprotocols=protocols or None,
            user_agent_header=None,
            # Frames are relayed as they are; compressing twice buys nothing on a LAN hop.
            compression=None,
            proxy=None,
            open_timeout=self.settings.connect_timeout_seconds,
            max_size=self.max_message_bytes,
        )

    async def forward(self, websocket: WebSocket) -> None:
        """Connect upstream first, then accept the client and pump frames both ways."""
        try:
            service, base = resolve(self.settings, websocket.url.path)
        except DomainError as refused:
            await _deny(websocket, refused)
            return
        try:
            upstream = await self._open(websocket, service, base)
        except InvalidStatus as exc:
            await _deny_with_upstream(websocket, exc)
            return
        except (OSError, TimeoutError, WebSocketException) as exc:
            log.warning("upstream_socket_failed", service=service, error=type(exc).__name__)
            timed_out = isinstance(exc, TimeoutError)
            failure = UpstreamTimeout(service) if timed_out else UpstreamUnavailable(service)
            await _deny(websocket, failure)
            return
        try:
            await websocket.accept(subprotocol=upstream.subprotocol)
            await self._pump(websocket, upstream)
        finally:
            # Also when the client vanished before the accept: the service must see it go.
            await upstream.close()

    async def _pump(self, websocket: WebSocket, upstream: ClientConnection) -> None:
        tasks: list[asyncio.Task[Any]] = [
            asyncio.create_task(_client_to_upstream(websocket, upstream)),
            asyncio.create_task(_upstream_to_client(websocket, upstream)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            if _connected(websocket):
                with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
                    await websocket.close(code=_BAD_GATEWAY_CLOSE)
        for result in results:
            # A side going away mid-send is the normal end of a relay, not an error.
            if isinstance(result, Exception) and not isinstance(
                result, (ConnectionClosed, WebSocketDisconnect, OSError, RuntimeError)
            ):
                log.warning("socket_relay_failed", error=type(result).__name__)

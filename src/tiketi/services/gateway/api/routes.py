"""One catch-all route per protocol: everything under the API goes to the service that owns it."""

from __future__ import annotations

from fastapi import APIRouter, Request, WebSocket
from starlette.responses import StreamingResponse

from tiketi.services.gateway.adapters.proxy import HttpProxy
from tiketi.services.gateway.adapters.sockets import SocketProxy

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def build_router(http: HttpProxy, sockets: SocketProxy) -> APIRouter:
    """The gateway's routes; kept out of OpenAPI, which documents the services, not the proxy."""
    router = APIRouter(include_in_schema=False)

    @router.websocket("/socket.io/{path:path}")
    async def forward_socket(websocket: WebSocket, path: str) -> None:
        await sockets.forward(websocket)

    @router.api_route("/{path:path}", methods=METHODS, include_in_schema=False)
    async def forward(request: Request, path: str) -> StreamingResponse:
        return await http.forward(request)

    return router

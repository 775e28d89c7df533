"""One ASGI middleware: request ids, access logs, metrics, body limits, last-resort errors."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tiketi.kernel.errors import error_response, unexpected_error_response
from tiketi.kernel.metrics import observe_request

log = structlog.get_logger("tiketi.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_QUIET_PATHS = {"/health", "/ready", "/metrics"}


class BodyTooLarge(HTTPException):
    """Raised while reading a body past the limit; FastAPI lets HTTPException through as is."""

    def __init__(self) -> None:
        super().__init__(413, "The request body is too large.")


def request_id_from(headers: Headers) -> str:
    """The caller's X-Request-ID when it is sane, else a new one."""
    given = headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template, so metrics do not explode by id."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestContextMiddleware:
    """Request id in and out, a JSON access log line, Prometheus figures, 413 and 500 answers."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_upload = max(max_upload_bytes, max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = request_id_from(headers)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = {"code": 500, "sent": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self._dispatch(scope, receive, send_wrapper, headers)
        except Exception as exc:  # the last resort: never a stack trace in a response
            if status["sent"]:
                raise
            response = unexpected_error_response(exc, scope.get("path", ""))
            await response(scope, receive, send_wrapper)
        finally:
            self._record(scope, status["code"], time.perf_counter() - started)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        multipart = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.max_upload if multipart else self.max_body
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            response = error_response(413, "PAYLOAD_TOO_LARGE", "The request body is too large.")
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, limited_receive, send)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        path: str = scope.get("path", "")
        method: str = scope.get("method", "")
        route = route_template(scope)
        observe_request(method, route, status, seconds)
        if path in _QUIET_PATHS:
            return
        fields: dict[str, Any] = {
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        client = scope.get("client")
        if client:
            fields["client"] = client[0]
        log.info("request", **fields)

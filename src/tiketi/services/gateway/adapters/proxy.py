"""The HTTP half of the gateway: one pooled client, bodies streamed both ways."""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy

import httpx
import structlog
from starlette.requests import HTTPConnection, Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from tiketi.kernel.errors import DomainError
from tiketi.kernel.middleware import request_id_from
from tiketi.kernel.runtime import Runtime
from tiketi.services.gateway.adapters.headers import request_headers, response_headers
from tiketi.services.gateway.domain.errors import (
    GatewayBusy,
    NoRoute,
    ServiceNotConfigured,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tiketi.services.gateway.domain.routing import route
from tiketi.services.gateway.settings import GatewaySettings

log = structlog.get_logger("tiketi.gateway")


def resolve(settings: GatewaySettings, path: str) -> tuple[str, str]:
    """The owning service and its base URL; 404 for no owner, 503 for an unknown address."""
    service = route(path)
    if service is None:
        raise NoRoute(path)
    base = settings.url_for(service)
    if base is None:
        raise ServiceNotConfigured(service)
    return service, base


def upstream_url(base: str, conn: HTTPConnection) -> httpx.URL:
    """`base` + the request's path and query exactly as the client encoded them."""
    url = httpx.URL(base)
    raw_path: bytes = conn.scope.get("raw_path") or conn.scope["path"].encode()
    query: bytes = conn.scope.get("query_string", b"")
    target = url.raw_path.rstrip(b"/") + raw_path + (b"?" + query if query else b"")
    return url.copy_with(raw_path=target)


def request_id(conn: HTTPConnection) -> str:
    """The id the kernel middleware gave this request (WebSockets bypass it: derive one)."""
    given = conn.scope.get("state", {}).get("request_id")
    return given if isinstance(given, str) else request_id_from(conn.headers)


def upstream_error(service: str, exc: httpx.TransportError) -> DomainError:
    """The client-facing error for a failed exchange with `service`."""
    if isinstance(exc, httpx.PoolTimeout):
        return GatewayBusy(service)
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(service)
    return UpstreamUnavailable(service)


class UpstreamResponse(StreamingResponse):
    """Relays an upstream answer as it arrives, and always hands its connection back."""

    def __init__(self, upstream: httpx.Response) -> None:
        super().__init__(upstream.aiter_raw(), status_code=upstream.status_code)
        # Raw pairs keep repeated headers (Set-Cookie) and the upstream's own Content-Length.
        self.raw_headers = response_headers(upstream.headers.raw)
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Starlette skips `background` when the client leaves mid-body; this cannot be skipped.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.upstream.aclose()


class HttpProxy:
    """Forwards HTTP requests to the service that owns their path."""

    def __init__(self, settings: GatewaySettings, *, trust_forwarded: bool) -> None:
        self.settings = settings
        self.trust_forwarded = trust_forwarded
        self._client: httpx.AsyncClient | None = None

    async def start(self, _: Runtime) -> None:
        """Open the pooled client (a start-up hook)."""
        s = self.settings
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                s.read_timeout_seconds,
                connect=s.connect_timeout_seconds,
                pool=s.connect_timeout_seconds,
            ),
            limits=httpx.Limits(
                max_connections=s.max_connections,
                max_keepalive_connections=s.max_keepalive_connections,
            ),
            follow_redirects=False,
            # Only our settings decide where requests go, never HTTP(S)_PROXY in the environment.
            trust_env=False,
        )
        # One shared client serves every user: it must never remember anyone's cookies.
        self._client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    async def stop(self, _: Runtime) -> None:
        """Close the pooled client (a shutdown hook)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The pooled client; only between start and stop."""
        if self._client is None:
            raise RuntimeError("the gateway's HTTP client is not started")
        return self._client

    async def forward(self, request: Request) -> StreamingResponse:
        """Send `request` to its service and relay the answer, status and body unchanged."""
        service, base = resolve(self.settings, request.url.path)
        headers = request_headers(
            request.headers.raw,
            client_host=request.client.host if request.client else None,
            scheme=request.url.scheme,
            request_id=request_id(request),
            trust_forwarded=self.trust_forwarded,
        )
        has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
        outgoing = httpx.Request(
            request.method,
            upstream_url(base, request),
            headers=headers,
            # Streamed: a 900 KiB upload is never held whole in the gateway. The kernel
            # middleware's size limit applies while the stream is read.
            content=request.stream() if has_body else None,
        )
        try:
            upstream = await self.client.send(outgoing, stream=True)
        except httpx.TransportError as exc:
            log.warning(
                "upstream_failed", service=service, error=type(exc).__name__, path=request.url.path
            )
            raise upstream_error(service, exc) from exc
        return UpstreamResponse(upstream)

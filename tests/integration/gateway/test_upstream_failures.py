"""When a service is down, slow, restarted or breaks mid-answer, the gateway says so honestly."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from tests.api.gateway.support import RunningServer, Upstream, closed_port, echo_app, serve
from tests.integration.gateway.conftest import StartGateway


def client(server: RunningServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=20)


async def test_a_closed_port_is_a_502_naming_the_service(start_gateway: StartGateway) -> None:
    gateway = start_gateway(auth_url=f"http://127.0.0.1:{closed_port()}")

    async with client(gateway) as http:
        response = await http.post("/api/v1/auth/login", json={"email": "a@b.c"})

    assert response.status_code == 502
    assert response.json() == {
        "error": {
            "code": "BAD_GATEWAY",
            "message": "The auth service did not answer; try again shortly.",
            "details": {"service": "auth"},
        }
    }
    assert response.headers["x-request-id"]


async def test_an_unresolvable_host_is_a_502(start_gateway: StartGateway) -> None:
    # A generous connect timeout: a slow resolver must fail as "unresolvable", not time out.
    gateway = start_gateway(
        auth_url="http://no-such-service.invalid:8000", connect_timeout_seconds=10
    )

    async with client(gateway) as http:
        response = await http.get("/api/v1/auth/me")

    assert response.status_code == 502
    assert response.json()["error"]["details"] == {"service": "auth"}


async def test_a_service_slower_than_the_read_timeout_is_a_504(
    start_gateway: StartGateway, upstream: RunningServer
) -> None:
    gateway = start_gateway(auth_url=upstream.url, read_timeout_seconds=0.3)

    async with client(gateway) as http:
        started = time.monotonic()
        slow = await http.get("/api/v1/auth/slow?seconds=1.5")
        elapsed = time.monotonic() - started
        fast = await http.get("/api/v1/auth/slow?seconds=0")

    assert slow.status_code == 504
    assert slow.json()["error"]["code"] == "GATEWAY_TIMEOUT"
    assert slow.json()["error"]["details"] == {"service": "auth"}
    assert elapsed < 1.2
    assert fast.status_code == 200


async def test_an_exhausted_pool_is_a_503_with_retry_after(start_gateway: StartGateway) -> None:
    seen = Upstream()
    upstream = serve(echo_app(seen), lifespan="off")
    gateway = start_gateway(auth_url=upstream.url, max_connections=1, connect_timeout_seconds=0.2)
    try:
        async with client(gateway) as http:
            holder = asyncio.create_task(http.get("/api/v1/auth/slow?seconds=3"))
            # The one pooled connection is busy once the upstream is serving the slow request
            # (waited for, not assumed after a fixed sleep: a loaded machine may take longer).
            for _ in range(200):
                if "/api/v1/auth/slow" in seen.paths or holder.done():
                    break
                await asyncio.sleep(0.02)
            assert "/api/v1/auth/slow" in seen.paths
            refused = await http.get("/api/v1/auth/me")
            held = await holder
    finally:
        upstream.stop()

    assert held.status_code == 200
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert refused.headers["retry-after"] == "1"


async def test_a_restarted_service_is_reached_again(start_gateway: StartGateway) -> None:
    first = serve(echo_app(Upstream()), lifespan="off")
    port = first.port
    gateway = start_gateway(auth_url=first.url)
    try:
        async with client(gateway) as http:
            assert (await http.get("/api/v1/auth/me")).status_code == 200
            first.stop()
            assert (await http.get("/api/v1/auth/me")).status_code == 502
            second = serve(echo_app(Upstream()), lifespan="off", port=port)
            try:
                assert (await http.get("/api/v1/auth/me")).status_code == 200
            finally:
                second.stop()
    finally:
        if first.thread.is_alive():
            first.stop()


async def crashing_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Promises 100 000 bytes, sends 10, then dies."""
    assert scope["type"] == "http"
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100000")]}
    )
    await send({"type": "http.response.body", "body": b"x" * 10, "more_body": True})
    raise RuntimeError("the service crashed mid-answer (expected by this test)")


async def test_an_answer_cut_short_upstream_is_never_a_complete_one(
    start_gateway: StartGateway,
) -> None:
    broken = serve(crashing_app, lifespan="off")
    try:
        gateway = start_gateway(auth_url=broken.url)
        async with client(gateway) as http:
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get("/api/v1/auth/me")
            # The gateway itself lives on.
            assert (await http.get("/health")).status_code == 200
    finally:
        broken.stop()

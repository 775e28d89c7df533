"""The gateway forwards HTTP to the owning service, byte for byte, through real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.gateway.support import (
    METHODS,
    RunningServer,
    Upstream,
    digest,
    header_values,
    pattern,
)

KIB = 1024


async def echoed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("method", [m for m in METHODS if m != "HEAD"])
async def test_method_path_and_query_arrive_as_sent(http: httpx.AsyncClient, method: str) -> None:
    response = await http.request(method, "/api/v1/auth/users/a%2Fb/role?x=1&x=2&y=%20z")

    body = await echoed(response)
    assert body["method"] == method
    assert body["raw_path"] == "/api/v1/auth/users/a%2Fb/role"
    assert body["query"] == "x=1&x=2&y=%20z"


async def test_head_is_forwarded_without_a_body(http: httpx.AsyncClient) -> None:
    response = await http.head("/api/v1/auth/me")

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["x-upstream"] == "echo"


async def test_a_900_kib_body_arrives_intact(http: httpx.AsyncClient) -> None:
    data = pattern(900 * KIB)

    body = await echoed(await http.post("/api/v1/auth/upload", content=data))

    assert body["body_length"] == len(data)
    assert body["body_sha256"] == digest(data)
    assert header_values(body["headers"], "content-length") == [str(len(data))]


async def test_a_chunked_body_is_streamed_through_intact(http: httpx.AsyncClient) -> None:
    data = pattern(900 * KIB)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 50 * KIB):
            yield data[start : start + 50 * KIB]

    body = await echoed(await http.put("/api/v1/holds/x", content=chunks()))

    assert body["body_length"] == len(data)
    assert body["body_sha256"] == digest(data)


async def test_a_2_mib_body_is_refused_by_the_gateway(
    http: httpx.AsyncClient, seen: Upstream
) -> None:
    response = await http.post("/api/v1/auth/too-big", content=pattern(2048 * KIB))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "/api/v1/auth/too-big" not in seen.paths


async def test_a_large_streamed_answer_arrives_intact(http: httpx.AsyncClient) -> None:
    size = 5 * 1024 * KIB + 17

    async with http.stream("GET", f"/api/v1/auth/big?size={size}") as response:
        assert response.status_code == 200
        data = b"".join([chunk async for chunk in response.aiter_bytes()])

    assert len(data) == size
    assert digest(data) == digest(pattern(size))


async def test_compressed_answers_pass_through_undecoded(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/auth/compressed")

    assert response.headers["content-encoding"] == "gzip"
    assert response.json() == {"compressed": True}


async def test_a_given_request_id_reaches_the_service_and_comes_back(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/api/v1/auth/me", headers={"X-Request-ID": "trace-42.a"})

    body = await echoed(response)
    assert header_values(body["headers"], "x-request-id") == ["trace-42.a"]
    assert response.headers.get_list("x-request-id") == ["trace-42.a"]


async def test_a_generated_request_id_is_the_same_on_both_sides(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/auth/me", headers={"X-Request-ID": "bad id with spaces"})

    body = await echoed(response)
    generated = response.headers["x-request-id"]
    assert generated != "bad id with spaces"
    assert header_values(body["headers"], "x-request-id") == [generated]


async def test_forwarded_headers_are_added_and_the_chain_appended(
    http: httpx.AsyncClient, gateway: RunningServer, upstream: RunningServer
) -> None:
    alone = await echoed(await http.get("/api/v1/auth/me"))
    behind = await echoed(
        await http.get("/api/v1/auth/me", headers={"X-Forwarded-For": "203.0.113.9"})
    )

    assert header_values(alone["headers"], "x-forwarded-for") == ["127.0.0.1"]
    assert header_values(behind["headers"], "x-forwarded-for") == ["203.0.113.9, 127.0.0.1"]
    assert header_values(alone["headers"], "x-forwarded-proto") == ["http"]
    assert header_values(alone["headers"], "x-forwarded-host") == [f"127.0.0.1:{gateway.port}"]
    assert header_values(alone["headers"], "host") == [f"127.0.0.1:{upstream.port}"]


async def test_an_untrusted_client_cannot_claim_proto_or_host(http: httpx.AsyncClient) -> None:
    body = await echoed(
        await http.get(
            "/api/v1/auth/me",
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"},
        )
    )

    assert header_values(body["headers"], "x-forwarded-proto") == ["http"]
    assert header_values(body["headers"], "x-forwarded-host") != ["evil.example"]


async def test_hop_by_hop_headers_stop_at_the_gateway(http: httpx.AsyncClient) -> None:
    body = await echoed(
        await http.get(
            "/api/v1/auth/me",
            headers={
                "Connection": "keep-alive, X-Hop-Secret",
                "X-Hop-Secret": "only for the gateway",
                "Keep-Alive": "timeout=5",
                "TE": "trailers",
                "Proxy-Authorization": "Basic c2VjcmV0",
                "Authorization": "Bearer end-to-end",
                "Cookie": "session=abc",
                "X-Custom": "kept",
            },
        )
    )

    names = {name.lower() for name, _ in body["headers"]}
    dropped = {"connection", "x-hop-secret", "keep-alive", "te", "proxy-authorization"}
    assert names.isdisjoint(dropped)
    assert header_values(body["headers"], "authorization") == ["Bearer end-to-end"]
    assert header_values(body["headers"], "cookie") == ["session=abc"]
    assert header_values(body["headers"], "x-custom") == ["kept"]


async def test_answer_headers_pass_except_hop_by_hop(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/auth/me")

    assert response.headers["x-upstream"] == "echo"
    assert len(response.headers.get_list("set-cookie")) == 2
    assert "proxy-authenticate" not in response.headers
    assert len(response.headers.get_list("date")) == 1
    assert len(response.headers.get_list("server")) <= 1


@pytest.mark.parametrize("status", [201, 400, 401, 409, 422, 500, 503])
async def test_upstream_status_and_error_body_pass_unchanged(
    http: httpx.AsyncClient, status: int
) -> None:
    response = await http.post("/api/v1/auth/status/" + str(status))

    assert response.status_code == status
    assert response.json() == {
        "error": {"code": "UPSTREAM_SAID", "message": "As is.", "details": {"n": status}}
    }
    assert response.headers["retry-after"] == "7"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events/7/seats",
        "/api/v1/holds",
        "/api/v1/reservations/r1/tickets",
        "/api/v1/tickets/t1/qr.png",
        "/api/v1/checkin",
        "/socket.io/?EIO=4&transport=polling",
    ],
)
async def test_booking_areas_reach_booking(http: httpx.AsyncClient, path: str) -> None:
    body = await echoed(await http.get(path))

    assert body["path"] == path.split("?")[0]


async def test_unconfigured_service_is_unavailable_in_the_error_shape(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/api/v1/events/7")

    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "SERVICE_UNAVAILABLE",
        "message": "The catalog service is not available through this gateway.",
        "details": {"service": "catalog"},
    }
    assert response.headers["x-request-id"]


@pytest.mark.parametrize(
    "path", ["/api/v2/events", "/api/v1/nothing", "/favicon.ico", "/api/v1/authx"]
)
async def test_unknown_area_is_404_in_the_error_shape(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_operations_endpoints_answer_without_a_database(http: httpx.AsyncClient) -> None:
    health = await http.get("/health")
    ready = await http.get("/ready")

    assert health.status_code == 200
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"redis": "ok"}


async def test_the_catch_all_is_not_in_the_openapi_document(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]

    assert not [p for p in paths if "{path" in p]


async def test_concurrent_requests_never_cross(http: httpx.AsyncClient) -> None:
    async def one(n: int) -> None:
        data = pattern(1000 + n * 97)
        response = await http.post(
            f"/api/v1/auth/n/{n}", content=data, headers={"X-Request-ID": f"req-{n}"}
        )
        body = await echoed(response)
        assert body["path"] == f"/api/v1/auth/n/{n}"
        assert body["body_sha256"] == digest(data)
        assert header_values(body["headers"], "x-request-id") == [f"req-{n}"]
        assert response.headers["x-request-id"] == f"req-{n}"

    await asyncio.gather(*(one(n) for n in range(60)))


async def test_one_callers_cookies_never_ride_on_anothers_request(
    gateway: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=gateway.url, trust_env=False) as first:
        answered = await first.get("/api/v1/auth/me")
        assert answered.headers.get_list("set-cookie")
    # A fresh client has no cookies; the gateway's shared upstream client must not add any.
    async with httpx.AsyncClient(base_url=gateway.url, trust_env=False) as second:
        body = await echoed(await second.get("/api/v1/auth/me"))

    assert header_values(body["headers"], "cookie") == []

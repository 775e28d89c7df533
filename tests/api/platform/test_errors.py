"""Every failure has the API.md error body; request ids, metrics and ops endpoints work."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.platform.probe import build_probe
from tests.conftest import start_client
from tiketi.kernel.app_factory import create_app
from tiketi.kernel.settings import PlatformSettings


@pytest.fixture
async def probe(base_settings: PlatformSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(base_settings, [build_probe()])
    client, ctx = await start_client(app)
    yield client
    await client.aclose()
    await ctx.__aexit__(None, None, None)  # type: ignore[attr-defined]


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


async def test_unknown_route_is_404_in_error_shape(probe: httpx.AsyncClient) -> None:
    assert_error(await probe.get("/api/v1/nothing-here"), 404, "NOT_FOUND")


async def test_wrong_method_is_405_in_error_shape(probe: httpx.AsyncClient) -> None:
    assert_error(await probe.delete("/api/v1/probe/items"), 405, "METHOD_NOT_ALLOWED")


async def test_validation_error_names_each_field(probe: httpx.AsyncClient) -> None:
    error = assert_error(
        await probe.post("/api/v1/probe/items", json={"name": "", "quantity": "many"}),
        422,
        "VALIDATION_ERROR",
    )
    assert set(error["details"]) == {"name", "quantity"}  # type: ignore[arg-type]


async def test_missing_field_and_path_type_are_422(probe: httpx.AsyncClient) -> None:
    error = assert_error(
        await probe.post("/api/v1/probe/items", json={"name": "x"}), 422, "VALIDATION_ERROR"
    )
    assert "quantity" in error["details"]  # type: ignore[operator]
    error = assert_error(await probe.get("/api/v1/probe/items/abc"), 422, "VALIDATION_ERROR")
    assert "path.item_id" in error["details"]  # type: ignore[operator]


async def test_malformed_json_is_400(probe: httpx.AsyncClient) -> None:
    response = await probe.post(
        "/api/v1/probe/items",
        content=b'{"name": "x", "quantity":',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 400, "MALFORMED_JSON")


async def test_oversized_body_is_413(probe: httpx.AsyncClient) -> None:
    big = {"a": "x" * (1024 * 1024 + 10)}
    assert_error(await probe.post("/api/v1/probe/echo", json=big), 413, "PAYLOAD_TOO_LARGE")


async def test_oversized_streamed_body_without_length_is_413(probe: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"a": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = await probe.post(
        "/api/v1/probe/echo", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_multipart_uploads_have_their_own_larger_limit(probe: httpx.AsyncClient) -> None:
    two_mib = b"\x89PNG" + b"0" * (2 * 1024 * 1024)
    ok = await probe.post("/api/v1/probe/upload", files={"file": ("a.png", two_mib)})
    assert ok.status_code == 200
    assert ok.json() == {"size": len(two_mib)}
    six_mib = b"0" * (6 * 1024 * 1024)
    too_big = await probe.post("/api/v1/probe/upload", files={"file": ("a.png", six_mib)})
    assert_error(too_big, 413, "PAYLOAD_TOO_LARGE")


async def test_body_under_limit_passes(probe: httpx.AsyncClient) -> None:
    response = await probe.post("/api/v1/probe/echo", json={"a": "x" * 900_000})
    assert response.status_code == 200
    assert response.json() == {"size": 900_000}


async def test_domain_error_keeps_code_and_details(probe: httpx.AsyncClient) -> None:
    error = assert_error(await probe.get("/api/v1/probe/conflict"), 409, "ALREADY_THERE")
    assert error["details"] == {"id": 7}


async def test_unexpected_error_is_500_without_internals(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/api/v1/probe/boom")
    assert_error(response, 500, "INTERNAL_ERROR")
    assert "passwd" not in response.text and "Traceback" not in response.text


async def test_request_id_is_echoed_or_generated(probe: httpx.AsyncClient) -> None:
    given = await probe.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await probe.get("/api/v1/nothing")
    assert len(made.headers["x-request-id"]) >= 16
    hostile = await probe.get("/health", headers={"X-Request-ID": "bad id;" + "x" * 300})
    assert hostile.headers["x-request-id"] != "bad id"
    assert len(hostile.headers["x-request-id"]) <= 128


async def test_health_ready_metrics(probe: httpx.AsyncClient) -> None:
    assert (await probe.get("/health")).json() == {"status": "ok"}
    ready = await probe.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    await probe.get("/api/v1/probe/items/5")
    await probe.get("/api/v1/probe/items/6")
    text = (await probe.get("/metrics")).text
    assert 'route="/api/v1/probe/items/{item_id}"' in text
    assert "tiketi_http_request_duration_seconds_bucket" in text
    assert "/api/v1/probe/items/5" not in text


async def test_route_rate_limit_answers_429_with_retry_after(probe: httpx.AsyncClient) -> None:
    statuses = [(await probe.get("/api/v1/probe/limited")).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    limited = await probe.get("/api/v1/probe/limited")
    assert_error(limited, 429, "RATE_LIMITED")
    assert int(limited.headers["retry-after"]) >= 1


async def test_bearer_token_required_and_checked(probe: httpx.AsyncClient) -> None:
    missing = await probe.get("/api/v1/probe/me")
    assert_error(missing, 401, "UNAUTHORIZED")
    assert missing.headers["www-authenticate"] == "Bearer"
    forged = await probe.get("/api/v1/probe/me", headers={"Authorization": "Bearer not.a.token"})
    assert_error(forged, 401, "INVALID_TOKEN")


async def test_edge_limit_and_cors(base_settings: PlatformSettings) -> None:
    settings = base_settings.model_copy(
        update={"rate_limit_per_minute": 20, "cors_origins": ["https://app.example"]}
    )
    client, ctx = await start_client(create_app(settings, [build_probe()]))
    try:
        statuses = [(await client.get("/api/v1/probe/items/1")).status_code for _ in range(12)]
        assert statuses[:10] == [200] * 10
        assert statuses[-1] == 429
        # Operations endpoints are never rate limited.
        assert (await client.get("/health")).status_code == 200
        allowed = await client.options(
            "/api/v1/probe/items",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        )
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        refused = await client.options(
            "/api/v1/probe/items",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in refused.headers
    finally:
        await client.aclose()
        await ctx.__aexit__(None, None, None)  # type: ignore[attr-defined]


async def test_lock_contention_is_503_busy_with_retry_after(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/api/v1/probe/contention")
    assert_error(response, 503, "BUSY")
    assert response.headers["Retry-After"] == "1"

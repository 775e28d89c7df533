"""OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, request spans reach an OTLP collector."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from opentelemetry import trace

from tests.api.platform.probe import build_probe
from tests.conftest import start_client
from tiketi.kernel.app_factory import create_app
from tiketi.kernel.settings import PlatformSettings


class Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def collector() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


async def test_request_spans_are_exported(base_settings: PlatformSettings, collector: str) -> None:
    settings = base_settings.model_copy(
        update={"otel_endpoint": collector, "otel_service_name": "tiketi-test"}
    )
    client, ctx = await start_client(create_app(settings, [build_probe()]))
    try:
        assert (await client.get("/api/v1/probe/items/77")).status_code == 200
    finally:
        await client.aclose()
        await ctx.__aexit__(None, None, None)  # type: ignore[attr-defined]
    provider = trace.get_tracer_provider()
    assert provider.force_flush(5000)  # type: ignore[attr-defined]
    # The provider is process-wide and its collector stops with this test: stop exporting, or
    # its last flush at interpreter exit fails loudly after the suite's summary.
    provider.shutdown()  # type: ignore[attr-defined]
    paths = [path for path, _ in Collector.received]
    assert "/v1/traces" in paths
    exported = b"".join(body for _, body in Collector.received)
    assert b"/api/v1/probe/items/{item_id}" in exported
    assert b"tiketi-test" in exported

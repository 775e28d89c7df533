"""SIGTERM as Kubernetes sends it: /ready says 503 at once, the request in flight still gets
its answer, new connections are refused once the drain delay is over, and the process exits 0.

The gateway is the subject because it needs only Redis and its upstream is easy to make slow:
a request waits on a stand-in auth service while the signal arrives.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import Served
from tiketi.kernel.testing.servers import RedisServer

pytestmark = pytest.mark.slow

UPSTREAM_SECONDS = 4.0
DRAIN_SECONDS = 2.0


class SlowUpstream:
    """An HTTP server that answers every request after UPSTREAM_SECONDS."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                upstream.arrived.set()
                upstream.release.wait(UPSTREAM_SECONDS)
                body = json.dumps({"slow": "done"}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SlowUpstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(tmp_path: Path, redis_server: RedisServer) -> Iterator[tuple[Served, SlowUpstream]]:
    with SlowUpstream() as upstream:
        served = Served(
            tmp_path / "gateway.log",
            {
                "TIKETI_REDIS_URL": redis_server.url,
                "TIKETI_GATEWAY_AUTH_URL": upstream.url,
                "TIKETI_DRAIN_SECONDS": str(DRAIN_SECONDS),
            },
            ["gateway", "--grace", "20"],
        )
        try:
            served.start()
            yield served, upstream
        finally:
            served.kill()


def test_sigterm_drains_in_flight_requests_and_exits_zero(
    gateway: tuple[Served, SlowUpstream],
) -> None:
    served, upstream = gateway
    assert served.proc is not None
    answer: dict[str, httpx.Response] = {}

    def in_flight() -> None:
        answer["slow"] = httpx.get(served.url + "/api/v1/auth/slow", timeout=30)

    request = threading.Thread(target=in_flight)
    request.start()
    assert upstream.arrived.wait(10), "the request never reached the upstream"

    served.proc.send_signal(signal.SIGTERM)
    # Draining: still listening, but readiness says no, so balancers send nothing new.
    ready = httpx.get(served.url + "/ready", timeout=5)
    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "NOT_READY"
    assert ready.json()["error"]["details"] == {"process": "draining"}
    assert httpx.get(served.url + "/health", timeout=5).status_code == 200

    # The request that was in flight when the signal came still gets its answer.
    request.join(30)
    assert not request.is_alive()
    assert answer["slow"].status_code == 200
    assert answer["slow"].json() == {"slow": "done"}
    assert served.proc.wait(timeout=30) == 0
    log = served.log.read_text()
    assert '"event": "draining"' in log
    assert '"event": "stopped"' in log


def test_without_a_drain_delay_sigterm_still_finishes_the_request(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    with SlowUpstream() as upstream:
        served = Served(
            tmp_path / "gateway.log",
            {"TIKETI_REDIS_URL": redis_server.url, "TIKETI_GATEWAY_AUTH_URL": upstream.url},
            ["gateway"],
        )
        try:
            served.start()
            assert served.proc is not None
            answer: dict[str, httpx.Response] = {}
            request = threading.Thread(
                target=lambda: answer.update(
                    slow=httpx.get(served.url + "/api/v1/auth/slow", timeout=30)
                )
            )
            request.start()
            assert upstream.arrived.wait(10)
            served.proc.send_signal(signal.SIGTERM)
            request.join(30)
            assert answer["slow"].status_code == 200
            assert served.proc.wait(timeout=30) == 0
        finally:
            served.kill()

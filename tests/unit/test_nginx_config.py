"""The cluster's nginx.conf: routes as the gateway's table says, sticky sockets, and a
configuration nginx itself accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiketi.multiproc.nginx import Nginx, Upstreams, binary, render
from tiketi.services.gateway.domain.routing import PREFIXES

PORTS = Upstreams(
    {"auth": [1001], "catalog": [1002], "queue": [1003, 1004], "booking": [1005, 1006],
     "payment": [1007], "stats": [1008], "notify": [1009]}
)  # fmt: skip


def test_every_prefix_of_the_gateway_is_routed_to_its_service() -> None:
    text = render(prefix=Path("/tmp/n"), port=8080, upstreams=PORTS)
    for prefix, service in PREFIXES:
        if prefix == "/socket.io":
            assert "location /socket.io/ {\n" in text.replace("        ", "")
            continue
        assert f"location {prefix}/ {{ proxy_pass http://{service}; }}" in text
        assert f"location = {prefix} {{ proxy_pass http://{service}; }}" in text


def test_http_balances_by_load_and_sockets_stick_to_one_booking_process() -> None:
    text = render(prefix=Path("/tmp/n"), port=8080, upstreams=PORTS)
    booking = text.split("upstream booking {")[1].split("}")[0]
    assert "least_conn;" in booking and "127.0.0.1:1005" in booking and "127.0.0.1:1006" in booking
    sockets = text.split("upstream booking_sockets {")[1].split("}")[0]
    assert "ip_hash;" in sockets
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    # The seat map is booking's, carved out of catalog's /api/v1/events.
    assert "/seats(?:/.*)?$ { proxy_pass http://booking; }" in text


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    try:
        binary()
    except RuntimeError:
        pytest.skip("nginx is not installed")
    nginx = Nginx(tmp_path, 18080, PORTS)
    nginx.write()
    nginx.check()  # nginx -t; raises with nginx's complaint

"""The compose stack: valid by the compose spec, one container per service, nginx in front."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import DEPLOY, SCHEMAS, load, machine_tool, run, venv_tool
from tiketi.app import SERVICES

COMPOSE = DEPLOY / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load(COMPOSE)  # type: ignore[no-any-return]


def test_valid_by_the_compose_specification() -> None:
    # The spec's schema is vendored (tests/deploy/schemas): no network in tests.
    schema = SCHEMAS / "compose-spec.json"
    run(venv_tool("check-jsonschema"), "--schemafile", str(schema), str(COMPOSE))


def test_every_service_of_the_app_has_its_own_container(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in SERVICES:
        assert name in services, f"{name} has no container"
        assert services[name]["command"] == ["serve", name]
        assert services[name]["build"]["target"] == "runtime"
    for engine in ("postgres", "redis", "web", "nginx", "migrate"):
        assert engine in services


def test_services_start_after_the_one_shot_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in SERVICES:
        if name == "gateway":  # no tables: it needs Redis only
            assert "migrate" not in services[name]["depends_on"]
            continue
        after = services[name]["depends_on"]["migrate"]["condition"]
        assert after == "service_completed_successfully", name


def test_the_gateway_knows_every_service(compose: dict[str, Any]) -> None:
    env = compose["services"]["gateway"]["environment"]
    for name in SERVICES:
        if name != "gateway":
            assert env[f"TIKETI_GATEWAY_{name.upper()}_URL"] == f"http://{name}:8080"


def test_nginx_routes_socket_io_to_booking_and_the_rest_by_prefix() -> None:
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    socket_block = conf.split("location /socket.io/ {", 1)[1].split("}", 1)[0]
    assert "proxy_pass $booking;" in socket_block
    assert "Upgrade $http_upgrade" in socket_block
    assert "set $booking http://booking:8080;" in conf
    assert "set $gateway http://gateway:8080;" in conf


def test_nginx_accepts_both_configurations(tmp_path: Path) -> None:
    nginx = machine_tool("nginx")
    run(nginx, "-t", "-q", "-e", "stderr", "-c", str(DEPLOY / "nginx" / "nginx.conf"))
    # web.conf is a server block for the image's nginx: wrap it the way that image does.
    site = (DEPLOY / "nginx" / "web.conf").read_text().replace("/usr/share/nginx/html", "/tmp")
    wrapper = tmp_path / "web.conf"
    wrapper.write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{ include /etc/nginx/mime.types;\n{site}\n}}\n"
    )
    run(nginx, "-t", "-q", "-e", "stderr", "-c", str(wrapper))

"""`tiketi serve` in the embedded mode, as a new user runs it: sign up, restart, log in again."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import Served, clean_env, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "serve.log", {"TIKETI_VAR_DIR": str(tmp_path / "var")})
    try:
        yield server
    finally:
        server.kill()


def engine_processes(var_dir: Path) -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if str(var_dir) in line and "ps " not in line]


def test_sign_up_survives_restart(served: Served) -> None:
    served.start()
    body = {"email": "Fan@Example.com ", "password": "correct horse battery", "name": "Fan"}
    created = httpx.post(served.url + "/api/v1/auth/register", json=body, timeout=10)
    assert created.status_code == 201, created.text
    token = created.json()["access_token"]
    me = httpx.get(
        served.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert me.json()["email"] == "fan@example.com"
    assert served.stop() == 0
    deadline = time.monotonic() + 20
    while engine_processes(Path(served.env["TIKETI_VAR_DIR"])) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert engine_processes(Path(served.env["TIKETI_VAR_DIR"])) == []

    served.start()
    login = httpx.post(
        served.url + "/api/v1/auth/login",
        json={"email": "fan@example.com", "password": "correct horse battery"},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    # The signing key was kept too: the token from before the restart still verifies.
    me_again = httpx.get(
        served.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert me_again.status_code == 200
    log_text = served.log.read_text()
    assert "correct horse battery" not in log_text
    assert token not in log_text
    assert served.stop() == 0


def test_port_in_use_gives_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = clean_env({"TIKETI_VAR_DIR": str(tmp_path / "var"), "PORT": str(port)})
        done = subprocess.run(
            [sys.executable, "-m", "tiketi.cli", "serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"127.0.0.1:{port}" in done.stderr and "in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_unusable_var_dir_gives_a_clear_message(tmp_path: Path) -> None:
    blocker = tmp_path / "var"
    blocker.write_text("a file where the data dir should be")
    env = clean_env({"TIKETI_VAR_DIR": str(blocker), "PORT": str(free_port())})
    done = subprocess.run(
        [sys.executable, "-m", "tiketi.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert str(blocker) in done.stderr
    assert "Traceback" not in done.stderr

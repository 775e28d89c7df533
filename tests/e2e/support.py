"""Run `tiketi` as a subprocess the way operators do, and wait until it is ready."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def served_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The settings of a test's `tiketi serve`: its engines, cheap password hashing (tests sign
    many fans up), no edge rate limit (every request comes from 127.0.0.1), plus `extra`."""
    return {
        "TIKETI_ENV": "test",
        "TIKETI_DATABASE_URL": database_url,
        "TIKETI_REDIS_URL": redis_url,
        "TIKETI_RATE_LIMIT_PER_MINUTE": "0",
        "TIKETI_AUTH_PASSWORD_TIME_COST": "1",
        "TIKETI_AUTH_PASSWORD_MEMORY_KIB": str(8 * 1024),
        **extra,
    }


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment without any Tiketi setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIKETI_") and k != "PORT"}
    env.update(extra)
    return env


class Served:
    """One `tiketi serve …` subprocess on its own port, logging to a file."""

    def __init__(self, log: Path, env: Mapping[str, str], args: Sequence[str] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = clean_env({**env, "PORT": str(self.port)})
        self.args = list(args)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, ready_path: str = "/ready", timeout: float = 90) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tiketi.cli", "serve", *self.args],
                env=self.env,
                # Whatever the process writes relative to its directory (./var: embedded data,
                # development mail) stays with the test's own files.
                cwd=self.log.parent,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-4000:]
            try:
                if httpx.get(self.url + ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError("tiketi serve did not become ready:\n" + self.log.read_text()[-4000:])

    def stop(self) -> int:
        """SIGTERM, as Kubernetes does; the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

"""The system under test: throwaway PostgreSQL and Redis, `tiketi serve`, and a hello-world.

Every server runs in its own process, as an operator would run them, so CPU can be told apart
per role (see `bench.probe`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tiketi.kernel.testing.servers import PostgresServer, RedisServer, start_postgres, start_redis

ROOT = Path(__file__).resolve().parents[1]
QUEUE_KEY = "bench-queue-key-of-at-least-32-bytes!"
ADMIN = ("bench-admin@example.com", "bench admin passphrase")

# What the platform runs with in a benchmark, and why it differs from the defaults.
SERVER_ENV = {
    # Registration runs argon2; thousands of fans would otherwise take minutes to sign up.
    # Holds never hash a password, so this changes no measured path (the tests do the same).
    "TIKETI_AUTH_PASSWORD_TIME_COST": "1",
    "TIKETI_AUTH_PASSWORD_MEMORY_KIB": "8192",
    # Fans come through one load balancer hop: X-Forwarded-For carries each fan's address, so
    # the per-IP limit (left at its default) runs on every request without throttling them all
    # as one address.
    "TIKETI_TRUSTED_PROXY_HOPS": "1",
    # A long run must not see its own holds expire (a re-held seat is not a double booking
    # but would look like one to the client-side check), nor its tokens.
    "TIKETI_BOOKING_HOLD_SECONDS": "3600",
    "TIKETI_AUTH_ACCESS_TOKEN_SECONDS": "86400",
    "TIKETI_QUEUE_KEY": QUEUE_KEY,
    "TIKETI_LOG_JSON": "true",
}


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment without any Tiketi setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIKETI_") and k != "PORT"}
    env.update(extra)
    return env


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    """Wait until `url` answers 200, failing early (with the log's tail) if `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout:.0f}s:\n{log.read_text()[-4000:]}")


@dataclass
class Process:
    """One server subprocess on its own port, logging to a file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The running process's id."""
        assert self.proc is not None
        return self.proc.pid

    def start(self, ready_path: str) -> None:
        """Spawn and wait until `ready_path` answers 200."""
        env = {**self.env, "PORT": str(self.port)}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [*self.command, "--port", str(self.port)],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_http(self.url + ready_path, self.proc, self.log)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not drain in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Stack:
    """Everything a benchmark run talks to."""

    pg: PostgresServer
    redis: RedisServer
    platform: Process
    hello: Process
    logs: Path

    @property
    def url(self) -> str:
        """The platform's base URL."""
        return self.platform.url

    def env(self) -> dict[str, str]:
        """The environment of a `tiketi` command against this stack's engines."""
        return clean_env(
            {
                **SERVER_ENV,
                "TIKETI_DATABASE_URL": self.pg.dsn,
                "TIKETI_REDIS_URL": self.redis.url,
            }
        )

    def create_admin(self) -> None:
        """`tiketi admin create`, as an operator makes the first admin."""
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tiketi.cli", "admin", "create", "--email", ADMIN[0],
             "--password", ADMIN[1], "--name", "Bench Admin"],
            env=self.env(), cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"tiketi admin create failed: {done.stderr}")


SERVE = [sys.executable, "-m", "tiketi.cli", "serve", "--migrate", "--grace", "5"]


@contextlib.contextmanager
def running_stack(logs: Path, *, pow_difficulty: int = 0, workers: int = 1) -> Iterator[Stack]:
    """Start PostgreSQL, Redis, the platform (migrated) and the hello-world, each with
    `workers` processes; stop them after.
    The platform writes its ticket emails under `logs`/mail (never the checkout's ./var)."""
    logs.mkdir(parents=True, exist_ok=True)
    with start_postgres() as pg, start_redis() as redis:
        run_env = {
            "TIKETI_DATABASE_URL": pg.dsn,
            "TIKETI_REDIS_URL": redis.url,
            "TIKETI_NOTIFY_MAIL_DIR": str(logs / "mail"),
            "TIKETI_QUEUE_POW_DIFFICULTY": str(pow_difficulty),
        }
        platform = Process(
            "platform",
            [*SERVE, "--workers", str(workers)],
            clean_env({**SERVER_ENV, **run_env}),
            logs / "platform.log",
        )
        hello = Process(
            "hello",
            [sys.executable, "-m", "bench.hello", "--workers", str(workers)],
            clean_env({"BENCH_HELLO_REDIS_URL": redis.url}),
            logs / "hello.log",
        )
        stack = Stack(pg=pg, redis=redis, platform=platform, hello=hello, logs=logs)
        try:
            platform.start("/ready")
            hello.start("/hello")
            stack.create_admin()
            yield stack
        finally:
            hello.stop()
            platform.stop()

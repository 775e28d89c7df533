"""`tiketi cluster`: the split mode on loopback, every service in its own process(es), nginx
in front, one PostgreSQL and one Redis shared by all (given by URL, or throwaway ones).

The default shape is the issue's: two queue processes, two booking processes, one of each other
service. Each process is `tiketi serve <service> --port <port>`, exactly what a Kubernetes
Deployment runs; the schemas are migrated once before any starts (`tiketi migrate`, the
PreSync Job). See docs/scale.md.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tiketi.kernel.testing.servers import PostgresServer, RedisServer, start_postgres, start_redis
from tiketi.multiproc.nginx import Nginx, Upstreams

# The shape: two replicas of the services a flash sale leans on, one of the others.
DEFAULT_REPLICAS: dict[str, int] = {
    "auth": 1,
    "catalog": 1,
    "queue": 2,
    "booking": 2,
    "payment": 1,
    "stats": 1,
    "notify": 1,
}


def free_port() -> int:
    """A free loopback port (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, alive: Callable[[], bool], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"{url} exited before it was ready:\n{_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout:.0f}s:\n{_tail(log)}")


def _tail(log: Path, size: int = 4000) -> str:
    try:
        return log.read_text(errors="replace")[-size:]
    except OSError:
        return f"(no log at {log})"


@dataclass
class Member:
    """One service process (`tiketi serve <service>`) on a fixed port, restartable in place."""

    name: str
    service: str
    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        """The process's own address (bypassing nginx)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """Its JSON log lines (appended across restarts)."""
        return self.workdir / "logs" / f"{self.name}.log"

    @property
    def running(self) -> bool:
        """True while the process lives."""
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> None:
        """Start the process (own session: Ctrl-C reaches the supervisor, which stops it)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "tiketi.cli", "serve", self.service,
                   "--port", str(self.port), "--grace", "5"]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command,
                env={**self.env, "PORT": str(self.port)},
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait until /ready answers 200."""
        _wait_ready(self.url + "/ready", lambda: self.running, self.log, timeout)

    def terminate(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (drain), SIGKILL past the timeout; the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL, as a crashed or OOM-killed pod: nothing drains, nothing is given back."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self, timeout: float = 120.0) -> None:
        """Start again on the same port (nginx's upstream names it) and wait until ready."""
        self.terminate()
        self.restarts += 1
        self.spawn()
        self.wait_ready(timeout)


@dataclass
class Cluster:
    """Every service's processes, nginx in front, and (unless given) throwaway engines."""

    workdir: Path
    database_url: str | None = None
    redis_url: str | None = None
    port: int = 0
    replicas: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_REPLICAS))
    # Settings every process gets (TIKETI_…); the engines' URLs and routing are added.
    env: Mapping[str, str] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    pg: PostgresServer | None = None
    redis: RedisServer | None = None
    nginx: Nginx | None = None

    @property
    def url(self) -> str:
        """nginx: where clients connect."""
        assert self.nginx is not None
        return self.nginx.url

    def replicas_of(self, service: str) -> list[Member]:
        """The processes of one service, in name order."""
        return [m for m in self.members.values() if m.service == service]

    def member_env(self) -> dict[str, str]:
        """What every service process runs with."""
        assert self.database_url and self.redis_url
        return {
            **self.env,
            "TIKETI_DATABASE_URL": self.database_url,
            "TIKETI_REDIS_URL": self.redis_url,
            # Behind nginx: the client's address is the last X-Forwarded-For entry.
            "TIKETI_TRUSTED_PROXY_HOPS": self.env.get("TIKETI_TRUSTED_PROXY_HOPS", "1"),
            "TIKETI_VAR_DIR": str(self.workdir / "var"),
            # Posters and mail on one disk for every process, as a shared volume would be.
            "TIKETI_CATALOG_MEDIA_DIR": str(self.workdir / "media"),
            "TIKETI_NOTIFY_MAIL_DIR": str(self.workdir / "mail"),
        }

    def _engines(self) -> None:
        if self.database_url is None:
            self.pg = start_postgres()
            self.database_url = self.pg.dsn
        if self.redis_url is None:
            # Durable: a restart keeps streams and rooms, as a production Redis's does.
            self.redis = start_redis(durable=True)
            self.redis_url = self.redis.url

    def _plan(self) -> None:
        assert self.nginx is None
        self.port = self.port or free_port()
        env = self.member_env()
        for service, count in self.replicas.items():
            for index in range(count):
                name = service if count == 1 else f"{service}-{string.ascii_lowercase[index]}"
                self.members[name] = Member(name, service, dict(env), self.workdir)
        auth = self.replicas_of("auth")[0].url
        for member in self.members.values():
            member.env["TIKETI_JWKS_URL"] = auth + "/api/v1/auth/jwks"
            # Payment reaches booking as any client would: through nginx, any replica.
            member.env["TIKETI_PAYMENT_BOOKING_URL"] = f"http://127.0.0.1:{self.port}"

    def migrate(self) -> None:
        """`tiketi migrate`: every schema, once, before any service starts."""
        done = subprocess.run(
            [sys.executable, "-m", "tiketi.cli", "migrate"],
            env={**self.member_env(), **_path_env()},
            cwd=self.workdir, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"tiketi migrate failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        """Engines, migrations, every process (booting at once), then nginx."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        _LIVE.append(self)
        self._engines()
        self._plan()
        self.migrate()
        for member in self.members.values():
            member.spawn()
        with ThreadPoolExecutor(len(self.members)) as pool:
            for waited in [pool.submit(m.wait_ready) for m in self.members.values()]:
                waited.result()
        ports = {s: [m.port for m in self.replicas_of(s)] for s in self.replicas}
        self.nginx = Nginx(self.workdir / "nginx", self.port, Upstreams(ports))
        self.nginx.prefix.mkdir(parents=True, exist_ok=True)
        self.nginx.start()
        proc = self.nginx.proc
        assert proc is not None
        _wait_ready(self.url + "/health", lambda: proc.poll() is None,
                    self.nginx.prefix / "error.log", 30)  # fmt: skip

    def stop(self) -> dict[str, int | None]:
        """nginx first (no new requests), then every process (SIGTERM: drain), then the
        throwaway engines. The processes' exit codes."""
        if self.nginx is not None:
            self.nginx.stop()
        codes: dict[str, int | None] = {}
        with ThreadPoolExecutor(max(1, len(self.members))) as pool:
            futures = {name: pool.submit(m.terminate) for name, m in self.members.items()}
            codes = {name: future.result() for name, future in futures.items()}
        if self.redis is not None:
            self.redis.close()
        if self.pg is not None:
            self.pg.close()
        with contextlib.suppress(ValueError):
            _LIVE.remove(self)
        return codes

    def not_ready(self) -> list[str]:
        """Members whose /ready does not answer 200 right now."""
        failing = []
        for name, member in self.members.items():
            try:
                ok = httpx.get(member.url + "/ready", timeout=3).status_code == 200
            except httpx.HTTPError:
                ok = False
            if not ok:
                failing.append(name)
        return failing

    def describe(self) -> str:
        """What runs where, for the operator."""
        lines = [f"nginx      {self.url}  (config {self.nginx.config if self.nginx else '-'})"]
        for name, member in self.members.items():
            pid = member.proc.pid if member.proc else "-"
            lines.append(f"{name:<10} {member.url}  pid {pid}  log {member.log}")
        lines.append(f"postgres   {self.database_url}")
        lines.append(f"redis      {self.redis_url}")
        return "\n".join(lines)


def _path_env() -> dict[str, str]:
    """PATH and friends for a one-shot command (the members' env has them already)."""
    return {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL"}}


_LIVE: list[Cluster] = []


@atexit.register
def _stop_leftovers() -> None:
    """A supervisor that dies by an exception still stops its children."""
    for cluster in list(_LIVE):
        with contextlib.suppress(Exception):
            cluster.stop()


@contextlib.contextmanager
def running_cluster(workdir: Path | None = None, **options: object) -> Iterator[Cluster]:
    """A started cluster, stopped on leaving (also on an exception)."""
    base = workdir or Path(tempfile.mkdtemp(prefix="tiketi-cluster-"))
    cluster = Cluster(workdir=base, **options)  # type: ignore[arg-type]
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def supervise(cluster: Cluster, stop: Callable[[], bool], *, poll: float = 1.0) -> None:
    """Restart a member that exited by itself (as a Deployment would) until `stop()`."""
    while not stop():
        for member in cluster.members.values():
            if member.proc is not None and member.proc.poll() is not None and not stop():
                print(f"tiketi cluster: {member.name} exited ({member.proc.returncode}); "
                      "restarting", file=sys.stderr, flush=True)  # fmt: skip
                with contextlib.suppress(RuntimeError):
                    member.restart()
        time.sleep(poll)


def serve_cluster(
    *, port: int, database_url: str | None, redis_url: str | None, workdir: Path | None
) -> None:
    """The `tiketi cluster` command: start, print the layout, supervise until SIGTERM/Ctrl-C."""
    # Readiness polling would log every request; the processes' own logs are in their files.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stopping = False

    def on_signal(signum: int, _: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    env = {k: v for k, v in os.environ.items() if k not in {"PORT", "TIKETI_PORT"}}
    try:
        with running_cluster(
            workdir, port=port, database_url=database_url, redis_url=redis_url, env=env
        ) as cluster:
            print(cluster.describe(), flush=True)
            print(f"tiketi cluster: serving on {cluster.url} (Ctrl-C stops)", flush=True)
            supervise(cluster, lambda: stopping)
            print("tiketi cluster: stopping", flush=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

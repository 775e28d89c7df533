"""Embedded PostgreSQL: the pgserver wheel's server, kept under the var dir."""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import psutil

from tiketi.kernel.engines.common import EngineError, alive, prepare_var_dir, tail, usable_dir

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer as PgServer

__all__ = ["DATABASE_NAME", "start_embedded_postgres", "stop_embedded_postgres"]

log = logging.getLogger(__name__)

DATABASE_NAME = "tiketi"
_DEFAULT_PG_PORT = 5432


def _clean_env() -> dict[str, str]:
    """The environment without PG* variables, so a user's PGHOST cannot redirect our clients."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


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
    live = [pid for pid in pids if isinstance(pid, int) and alive(pid)]
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
        f"Last lines of {pgdata / 'log'}:\n{tail(pgdata / 'log')}"
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
    pgdata = usable_dir(prepare_var_dir(var_dir) / "postgres", "PostgreSQL data dir")
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

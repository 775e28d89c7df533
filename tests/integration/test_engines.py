"""Throwaway test servers and the embedded engines behind `tiketi serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest
import redis
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tiketi.kernel.engines import (
    EmbeddedRedis,
    EngineError,
    embedded_engines,
    start_embedded_postgres,
)
from tiketi.kernel.testing.servers import (
    PostgresServer,
    RedisServer,
    start_postgres,
    start_redis,
)


# Own servers rather than the session's: these tests stop and kill them.
@pytest.fixture(scope="module")
def scratch_pg() -> Iterator[PostgresServer]:
    with start_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def scratch_redis() -> Iterator[RedisServer]:
    with start_redis() as server:
        yield server


async def _fetchval(dsn: str, sql: str) -> object:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


# ---------------------------------------------------------------------------- test servers


async def test_postgres_answers_queries(scratch_pg: PostgresServer) -> None:
    assert await _fetchval(scratch_pg.dsn, "SELECT current_database()") == "tiketi_test"
    assert scratch_pg.url.startswith("postgresql+asyncpg://postgres@127.0.0.1:")
    engine = create_async_engine(scratch_pg.url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    finally:
        await engine.dispose()


async def test_redis_answers_ping(scratch_redis: RedisServer) -> None:
    client = aioredis.Redis.from_url(scratch_redis.url)
    try:
        assert await client.ping()
        await client.set("greeting", "hello")
        assert await client.get("greeting") == b"hello"
    finally:
        await client.aclose()


async def test_postgres_data_survives_stop_start_and_kill(scratch_pg: PostgresServer) -> None:
    conn = await asyncpg.connect(scratch_pg.dsn)
    await conn.execute("CREATE TABLE survivors (id int PRIMARY KEY)")
    await conn.execute("INSERT INTO survivors VALUES (1)")
    await conn.close()
    port = scratch_pg.port

    scratch_pg.stop()
    assert not scratch_pg.running
    scratch_pg.start()
    assert scratch_pg.port == port
    assert await _fetchval(scratch_pg.dsn, "SELECT count(*) FROM survivors") == 1

    conn = await asyncpg.connect(scratch_pg.dsn)
    await conn.execute("INSERT INTO survivors VALUES (2)")  # committed, then crash
    pid = scratch_pg.pid
    scratch_pg.kill()
    assert pid is not None
    assert not _alive(pid)
    with pytest.raises((OSError, asyncpg.PostgresError, asyncpg.InterfaceError)):
        await conn.fetchval("SELECT 1")
    conn.terminate()
    scratch_pg.start()
    assert await _fetchval(scratch_pg.dsn, "SELECT count(*) FROM survivors") == 2


def test_redis_restarts_on_same_port(scratch_redis: RedisServer) -> None:
    port = scratch_redis.port
    scratch_redis.stop()
    assert not scratch_redis.running
    scratch_redis.start()
    scratch_redis.kill()
    scratch_redis.start()
    assert scratch_redis.port == port
    client = redis.Redis.from_url(scratch_redis.url)
    try:
        assert client.ping()
    finally:
        client.close()


async def test_wheel_fallback_servers() -> None:
    with start_postgres(prefer_system=False) as pg_wheel:
        assert "site-packages" in str(pg_wheel.bin_dir)
        assert await _fetchval(pg_wheel.dsn, "SELECT 1") == 1
        base_dir = pg_wheel.base_dir
    assert not base_dir.exists()
    with start_redis(prefer_system=False) as redis_wheel:
        client = redis.Redis.from_url(redis_wheel.url)
        try:
            assert client.info("server")["redis_version"].startswith("6.2")
        finally:
            client.close()


# ---------------------------------------------------------------------------- embedded engines

_SCRIPT = r"""
import asyncio, json, sys
from pathlib import Path

import asyncpg, redis

from tiketi.kernel.engines import EmbeddedRedis, embedded_engines, start_embedded_postgres

var_dir, note, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]


async def touch_db(url):
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS marks (id serial PRIMARY KEY, note text)")
        await conn.execute("INSERT INTO marks (note) VALUES ($1)", note)
        return [row["note"] for row in await conn.fetch("SELECT note FROM marks ORDER BY id")]
    finally:
        await conn.close()


def touch(db_url, redis_url):
    notes = asyncio.run(touch_db(db_url))
    client = redis.Redis.from_url(redis_url)
    try:
        client.rpush("marks", note)
        marks = [mark.decode() for mark in client.lrange("marks", 0, -1)]
        redis_pid = client.info("server")["process_id"]
    finally:
        client.close()
    postmaster_pid = int((var_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    print(json.dumps({"db_url": db_url, "redis_url": redis_url, "notes": notes, "marks": marks,
                      "postmaster_pid": postmaster_pid, "redis_pid": redis_pid}), flush=True)


if mode == "context":
    with embedded_engines(var_dir) as (db_url, redis_url):
        touch(db_url, redis_url)
elif mode == "bare":  # no explicit stop: pgserver's and EmbeddedRedis's atexit hooks must do it
    embedded_redis = EmbeddedRedis(var_dir)
    touch(start_embedded_postgres(var_dir), embedded_redis.start())
elif mode == "hold":  # a long-running `tiketi serve`: touch, wait for a line, touch again
    with embedded_engines(var_dir) as (db_url, redis_url):
        touch(db_url, redis_url)
        sys.stdin.readline()
        touch(db_url, redis_url)
"""


def _child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TIKETI_")}


def _run(var_dir: Path, note: str, mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(var_dir), note, mode],
        capture_output=True,
        text=True,
        timeout=90,
        env=_child_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _processes_using(var_dir: Path) -> list[str]:
    """Live processes whose command line or working dir mentions var_dir."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE or proc.pid == os.getpid():
            continue
        try:
            cwd = proc.cwd()
        except psutil.Error:
            cwd = ""
        command = " ".join(proc.info["cmdline"] or [])
        if str(var_dir) in command or cwd.startswith(str(var_dir)):
            found.append(f"{proc.pid}: {command} (cwd {cwd})")
    return found


def _assert_all_stopped(var_dir: Path, report: dict[str, object]) -> None:
    deadline = time.monotonic() + 10
    while _processes_using(var_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_using(var_dir) == []
    for key in ("postmaster_pid", "redis_pid"):
        pid = report[key]
        assert isinstance(pid, int)
        assert not _alive(pid), f"{key} {pid} still running"


@pytest.mark.slow
def test_embedded_engines_keep_data_and_stop_on_exit(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"

    first = _run(var_dir, "first", "context")
    assert first["notes"] == ["first"]
    assert first["marks"] == ["first"]
    assert str(first["db_url"]).startswith("postgresql+asyncpg://postgres@/tiketi?host=/")
    assert first["redis_url"] == f"unix://{var_dir / 'redis' / 'redis.sock'}"
    _assert_all_stopped(var_dir, first)

    # Second run relies on atexit alone (no context manager) and must see the first run's data.
    second = _run(var_dir, "second", "bare")
    assert second["notes"] == ["first", "second"]
    assert second["marks"] == ["first", "second"]
    _assert_all_stopped(var_dir, second)
    assert (var_dir / "postgres" / "PG_VERSION").exists()
    assert (var_dir / "redis" / "appendonly.aof").exists()


@pytest.mark.slow
def test_second_process_attaches_without_stopping_the_first(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    holder = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(var_dir), "serve", "hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdin is not None
        served = json.loads(holder.stdout.readline())
        # Like `tiketi admin create` while `tiketi serve` runs: attach, work, exit.
        admin = _run(var_dir, "admin", "context")
        assert admin["postmaster_pid"] == served["postmaster_pid"]
        assert admin["redis_pid"] == served["redis_pid"]
        for key in ("postmaster_pid", "redis_pid"):
            pid = served[key]
            assert isinstance(pid, int)
            assert _alive(pid), f"admin exit stopped {key}"
        holder.stdin.write("go on\n")
        holder.stdin.flush()
        again = json.loads(holder.stdout.readline())
        assert again["notes"] == ["serve", "admin", "serve"]
        assert holder.wait(timeout=60) == 0, holder.stderr.read() if holder.stderr else ""
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    _assert_all_stopped(var_dir, served)


# ---------------------------------------------------------------------------- clear errors


def test_file_in_place_of_var_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "var"
    blocker.write_text("not a directory")
    with pytest.raises(EngineError, match=r"var is not a directory"):
        start_embedded_postgres(blocker)
    with pytest.raises(EngineError, match=r"var is not a directory"):
        EmbeddedRedis(blocker).start()
    with pytest.raises(EngineError, match=r"TIKETI_VAR_DIR"), embedded_engines(blocker):
        pass


def test_file_in_place_of_engine_dirs_is_a_clear_error(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    (var_dir / "postgres").write_text("")
    (var_dir / "redis").write_text("")
    with pytest.raises(EngineError, match=r"PostgreSQL data dir .*/var/postgres is not a dir"):
        start_embedded_postgres(var_dir)
    with pytest.raises(EngineError, match=r"Redis data dir .*/var/redis is not a directory"):
        EmbeddedRedis(var_dir).start()


def test_foreign_files_in_postgres_dir_are_a_clear_error(tmp_path: Path) -> None:
    pgdata = tmp_path / "var" / "postgres"
    pgdata.mkdir(parents=True)
    (pgdata / "notes.txt").write_text("")
    with pytest.raises(EngineError, match=r"holds no cluster .*move it away"):
        start_embedded_postgres(tmp_path / "var")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any mode bits")
def test_unwritable_var_dir_is_a_clear_error(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    var_dir.mkdir(mode=0o500)
    try:
        with pytest.raises(EngineError, match=r"not writable"):
            start_embedded_postgres(var_dir)
    finally:
        var_dir.chmod(0o700)


def test_long_var_dir_moves_redis_socket_to_short_tmp_dir(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    embedded = EmbeddedRedis(deep)
    assert len(os.fsencode(embedded.socket_path)) <= 107
    assert embedded.socket_path.parent.parent == Path("/tmp")
    assert EmbeddedRedis(deep).socket_path == embedded.socket_path  # stable across restarts
    assert EmbeddedRedis(tmp_path / "short").socket_path.parent == tmp_path / "short" / "redis"

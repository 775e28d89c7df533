"""The machine's own ceilings, measured in the same run as the scenarios.

- redis-benchmark for the Redis operations the measured paths use;
- pgbench with a hold's conditional UPDATE alone, and with a hold's whole transaction, on a
  real event's seats in booking's schema;
- a hello-world on the platform's server stack, and the platform's own /health, driven by the
  same load generator as the scenarios.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.load import Job, run_jobs
from bench.results import Result, merge
from bench.stack import Stack

PGBENCH = Path("/usr/lib/postgresql/15/bin/pgbench")
# The edge rate limit's token bucket (kernel/ratelimit.py), run the way every request runs it.
_BUCKET_SHA_SOURCE = """
local t = redis.call('TIME')
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
redis.call('HSET', KEYS[1], 'tokens', ARGV[1], 'ts', t[1])
redis.call('PEXPIRE', KEYS[1], 60000)
return {1, 0}
"""
_FREE = "(status = 'available' OR (status = 'held' AND hold_expires_at <= now()))"


@dataclass
class Ceiling:
    """One measured ceiling."""

    name: str
    what: str
    throughput: float
    p50: float
    p95: float
    p99: float


# ----------------------------------------------------------------------------- Redis


def redis_ceilings(stack: Stack, requests: int) -> list[Ceiling]:
    """redis-benchmark, 50 clients, for the commands holds, the seat map and the queue use."""
    executable = shutil.which("redis-benchmark")
    if executable is None:
        return []
    port = str(stack.redis.port)
    sha = redis.Redis(port=stack.redis.port).script_load(_BUCKET_SHA_SOURCE)
    base = [executable, "-h", "127.0.0.1", "-p", port, "-c", "50", "-n", str(requests), "--csv"]
    runs = [
        ([*base, "-t", "get,set,incr,hset,zadd"], None),
        ([*base, "-r", "100000", "evalsha", sha, "1", "bench:bucket:__rand_int__", "5"],
         "EVALSHA (rate-limit bucket)"),
        ([*base, "publish", "bench:socketio", "x" * 200], "PUBLISH (Socket.IO emit)"),
    ]  # fmt: skip
    ceilings = []
    for command, name in runs:
        done = subprocess.run(  # noqa: S603 - the system's redis-benchmark
            command, capture_output=True, text=True, timeout=600, check=True
        )
        for row in csv.DictReader(io.StringIO(done.stdout)):
            ceilings.append(
                Ceiling(
                    f"redis {name or row['test']}",
                    "redis-benchmark -c 50",
                    float(row["rps"]),
                    float(row["p50_latency_ms"]),
                    float(row["p95_latency_ms"]),
                    float(row["p99_latency_ms"]),
                )
            )
    return ceilings


# ----------------------------------------------------------------------------- PostgreSQL


# pgbench works on a copy of booking's tables holding one real event (same columns, indexes
# and constraints): in booking's own tables the platform's sweeper would race it for the
# expired holds pgbench leaves behind.
_COPY = """DROP SCHEMA IF EXISTS bench_ceiling CASCADE;
CREATE SCHEMA bench_ceiling;
CREATE TABLE bench_ceiling.events (LIKE booking.events INCLUDING ALL);
CREATE TABLE bench_ceiling.seats (LIKE booking.seats INCLUDING ALL);
CREATE TABLE bench_ceiling.holds (LIKE booking.holds INCLUDING ALL);
INSERT INTO bench_ceiling.events SELECT * FROM booking.events WHERE id = 'EVENT';
INSERT INTO bench_ceiling.seats SELECT * FROM booking.seats WHERE event_id = 'EVENT';
ANALYZE bench_ceiling.seats;
"""
# A hold's conditional UPDATE (booking's Inventory.take), expired at once so that every
# transaction finds its seats free, like a hold that wins. SEATS and EVENT are filled in below.
_TAKE = f"""UPDATE bench_ceiling.seats SET status = 'held', hold_id = gen_random_uuid(),
    user_id = md5(:user::text)::uuid, hold_expires_at = now() - interval '1 second',
    reservation_id = NULL
  WHERE event_id = 'EVENT' AND seat_id = ANY(ARRAY[SEATS]::bigint[]) AND {_FREE}
  RETURNING seat_id, section, row, number, grade, price;
"""  # noqa: S608 - constants; pgbench_scripts fills in a UUID and integers
# The statements of a hold's transaction in booking's service (holds._attempt), in order.
_HOLD_TX = """BEGIN;
SELECT id, status, sale_opens_at, sale_closes_at, max_tickets_per_user, queue_enabled
  FROM bench_ceiling.events WHERE id = 'EVENT';
SELECT pg_advisory_xact_lock(hashtextextended('bench:' || :user, 0));
SELECT count(*) FROM bench_ceiling.seats WHERE event_id = 'EVENT'
  AND user_id = md5(:user::text)::uuid
  AND (status = 'sold' OR (status = 'held' AND hold_expires_at > now()));
SET LOCAL lock_timeout = '200ms';
TAKE
INSERT INTO bench_ceiling.holds (id, event_id, user_id, seat_ids, amount, status, expires_at)
  VALUES (gen_random_uuid(), 'EVENT', md5(:user::text)::uuid, ARRAY[SEATS]::bigint[], 99000,
  'released', now());
BUMP
COMMIT;
"""
# Every hold of an event bumps the event's one version row, so holds of one event queue on it.
_BUMP = """SET LOCAL lock_timeout = '5000ms';
UPDATE bench_ceiling.events SET version = version + 1 WHERE id = 'EVENT' RETURNING version;"""


def pgbench_scripts(event_id: str, first: int, last: int, per_hold: int) -> dict[str, str]:
    """pgbench scripts: the UPDATE alone, a hold's whole transaction, and the same without the
    event's version bump (what the one version row per event costs)."""
    event = str(uuid.UUID(event_id))  # only a UUID goes into the SQL text
    seats = ", ".join(f":seat + {i}" for i in range(per_hold))
    head = f"\\set seat random({int(first)}, {int(last) - per_hold + 1})\n"
    head += "\\set user random(1, 1000000)\n"
    take = _TAKE.replace("SEATS", seats).replace("EVENT", event)
    whole = _HOLD_TX.replace("TAKE", take.strip()).replace("SEATS", seats)
    return {
        "update": head + take,
        "hold-tx": head + whole.replace("BUMP", _BUMP).replace("EVENT", event),
        "hold-tx-no-bump": head + whole.replace("BUMP\n", "").replace("EVENT", event),
    }


def _pgbench_latencies(prefix: Path) -> list[float]:
    """Per-transaction latencies (ms) from pgbench's -l logs."""
    latencies = []
    for log in prefix.parent.glob(prefix.name + ".*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3:
                latencies.append(int(fields[2]) / 1000)
    return latencies


def pgbench_tools() -> tuple[str, str] | None:
    """Paths of pgbench and psql (Debian's PostgreSQL 15 first), or None without them."""
    if PGBENCH.exists():
        return str(PGBENCH), str(PGBENCH.with_name("psql"))
    pgbench, psql = shutil.which("pgbench"), shutil.which("psql")
    return (pgbench, psql) if pgbench and psql else None


def pg_ceilings(
    stack: Stack, work: Path, *, event_id: str, seat_ids: list[int], per_hold: int, seconds: int
) -> list[Ceiling]:
    """pgbench -M prepared with the server's pool size in clients, for `seconds` each."""
    from bench.results import percentile

    first, last = min(seat_ids), max(seat_ids)
    if last - first + 1 != len(seat_ids):
        raise RuntimeError("pgbench needs the ceiling event's seat ids to be one range")
    found = pgbench_tools()
    if found is None:
        return []  # no PostgreSQL client tools (the pgserver wheel's engine): no ceiling
    executable, psql = found
    subprocess.run(  # noqa: S603 - the system's psql
        [psql, "-h", "127.0.0.1", "-p", str(stack.pg.port), "-U", "postgres", "-q",
         "-v", "ON_ERROR_STOP=1", "-c", _COPY.replace("EVENT", str(uuid.UUID(event_id))),
         stack.pg.database],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    ceilings = []
    for name, script in pgbench_scripts(event_id, first, last, per_hold).items():
        path = work / f"pgbench-{name}.sql"
        path.write_text(script)
        prefix = work / f"pgbench-{name}-log"
        done = subprocess.run(  # noqa: S603 - the system's pgbench
            [executable, "-h", "127.0.0.1", "-p", str(stack.pg.port), "-U", "postgres",
             "-n", "-M", "prepared", "-c", "20", "-j", "2", "-T", str(seconds),
             "-f", str(path), "-l", f"--log-prefix={prefix}", stack.pg.database],
            capture_output=True, text=True, timeout=seconds + 120, check=False, cwd=work,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"pgbench {name} failed:\n{done.stdout}\n{done.stderr}")
        match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
        latencies = _pgbench_latencies(prefix)
        what = {
            "update": "a hold's UPDATE … RETURNING alone",
            "hold-tx": "a hold's whole transaction",
            "hold-tx-no-bump": "the same without the event's version bump",
        }[name]
        ceilings.append(
            Ceiling(
                f"pgbench {name}",
                f"pgbench -c 20 -M prepared: {what}",
                float(match.group(1)) if match else 0.0,
                percentile(latencies, 50),
                percentile(latencies, 95),
                percentile(latencies, 99),
            )
        )
    return ceilings


# ----------------------------------------------------------------------------- HTTP


def http_ceiling(
    name: str, what: str, url: str, path: str, requests: int, concurrency: int, procs: int
) -> tuple[Ceiling, Result]:
    """GET `path` closed-loop from `procs` client processes, as the scenarios send."""
    from bench.load import split

    jobs = [
        Job("get", url, path=path, count=share, concurrency=concurrency, seed=i)
        for i, share in enumerate(split(requests, procs))
    ]
    result = merge(name, run_jobs(jobs), success="200")
    ceiling = Ceiling(name, what, result.throughput, result.p(50), result.p(95), result.p(99))
    return ceiling, result

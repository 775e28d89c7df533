"""What every scenario gets: the running stack, the options, an organizer, a CPU probe."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import api
from bench.ceilings import Ceiling
from bench.checks import money_in_database, oversold_in_database
from bench.load import Job, Sample, run_jobs
from bench.probe import CpuProbe
from bench.stack import Stack


@dataclass(frozen=True)
class Options:
    """Sizes of a run (`python -m bench --help` documents each)."""

    attempts: int = 20_000
    seats: int = 0  # 0: as many as attempts (at most 100,000)
    per_hold: int = 2
    window: int = 256
    concurrency: int = 64
    client_procs: int = 1
    rate: float = 1000.0
    duration: float = 10.0
    reads: int = 20_000
    map_seats: int = 2_000
    inventory_seats: int = 100_000
    sockets: int = 2_000
    socket_capacity: int = 5_000
    socket_procs: int = 2
    socket_holds: int = 5
    max_tickets: int = 20
    joins: int = 5_000
    join_fans: int = 1_000
    admission_fans: int = 2_000
    admission_max_active: int = 500
    admission_rate: float = 1_000.0
    engine_fans: int = 100_000
    shop_seconds: float = 2.0
    poll_min: float = 0.5
    poll_max: float = 10.0
    checkouts: int = 2_000
    flash_fans: int = 20_000
    flash_seconds: float = 60.0
    flash_seats: int = 5_000
    flash_max_active: int = 1_000
    flash_rate: float = 500.0
    flash_quantity: int = 4
    pow_difficulty: int = 0
    chaos_fans: int = 2_000
    chaos_seats: int = 500
    chaos_arrival: float = 60.0
    ceiling_requests: int = 20_000
    ceiling_seconds: int = 10
    workers: int = 2


@dataclass
class Context:
    """Shared by the scenarios of one run."""

    stack: Stack
    options: Options
    work: Path
    ceilings: dict[str, Ceiling] = field(default_factory=dict)
    organizer: str = ""
    _fans: list[api.Fan] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client for setting things up (not for measuring)."""
        async with httpx.AsyncClient(base_url=self.stack.url, timeout=300) as client:
            yield client

    async def organizer_token(self) -> str:
        """The run's organizer, made once."""
        if not self.organizer:
            async with self.client() as client:
                self.organizer = await api.organizer(client)
        return self.organizer

    async def event(self, seats: int) -> api.Published:
        """A published event of `seats` seats, inventory built."""
        token = await self.organizer_token()
        async with self.client() as client:
            return await api.event_on_sale(
                client, token, seats=seats, max_tickets=self.options.max_tickets
            )

    async def fans(self, count: int) -> list[api.Fan]:
        """`count` fans, each with its own address; signed up once, shared by the scenarios
        (each scenario has its own event, so one's holds never count against another's limit)."""
        missing = count - len(self._fans)
        if missing > 0:
            async with self.client() as client:
                self._fans += await api.fans(client, missing, first=len(self._fans))
        return self._fans[:count]

    @contextlib.contextmanager
    def probe(self) -> Iterator[CpuProbe]:
        """CPU per role while the block runs."""
        probe = CpuProbe(
            {
                "platform": self.stack.platform.pid,
                "postgres": self.stack.pg.pid,
                "redis": self.stack.redis.pid,
            }
        )
        probe.start()
        try:
            yield probe
        finally:
            probe.stop()

    async def run(self, jobs: list[Job]) -> tuple[list[Sample], dict[str, float]]:
        """Run client processes and measure the servers' CPU meanwhile; then let the
        platform drain what clients gave up on, so the next scenario starts on a quiet server."""
        with self.probe() as probe:
            samples = await asyncio.to_thread(run_jobs, jobs)
        await self.settle()
        return samples, probe.percent()

    async def settle(self, quiet_ms: float = 50.0, timeout: float = 60.0) -> None:
        """Wait until /health answers within `quiet_ms` (or `timeout` passed)."""
        deadline = time.monotonic() + timeout
        async with self.client() as client:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                await client.get("/health")
                if (time.perf_counter() - started) * 1000 < quiet_ms:
                    return
                await asyncio.sleep(0.5)

    async def oversold(self) -> int:
        """Seats in two live holds/reservations across the whole database."""
        return await oversold_in_database(self.stack.pg.dsn)

    async def money(self, timeout: float = 90.0) -> dict[str, int]:
        """The payment invariant's counts, once the reconciler settled every open payment
        (or `timeout` passed: then `unsettled` says how many it still had)."""
        deadline = time.monotonic() + timeout
        counts = await money_in_database(self.stack.pg.dsn)
        while counts["unsettled"] and time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            counts = await money_in_database(self.stack.pg.dsn)
        return counts

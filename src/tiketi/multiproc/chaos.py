"""Faults during a flash sale: a booking process SIGKILLed (and started again), Redis and
PostgreSQL restarted, the payment sandbox timing out and failing for a while.

Each step waits for the sale to have got somewhere (holds, reservations, payments made: the
`Progress` counters), so the faults land in the middle of real work on a slow machine as on a
fast one; a step whose milestone never comes runs at its timeout anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tiketi.multiproc.cluster import Cluster
from tiketi.multiproc.flashsale import Sale

MILESTONE_TIMEOUT = 60.0


@dataclass
class ChaosLog:
    """What was done when (seconds since the chaos began)."""

    started: float = field(default_factory=time.monotonic)
    entries: list[tuple[float, str]] = field(default_factory=list)

    def add(self, what: str) -> None:
        """Record a step."""
        self.entries.append((round(time.monotonic() - self.started, 2), what))

    def __str__(self) -> str:
        return "\n".join(f"{at:7.2f}s  {what}" for at, what in self.entries)


def kill_booking(cluster: Cluster, log: ChaosLog) -> None:
    """SIGKILL the last booking process."""
    victim = cluster.replicas_of("booking")[-1]
    victim.kill()
    log.add(f"SIGKILL {victim.name}")


def restart_booking(cluster: Cluster, log: ChaosLog) -> None:
    """Start the killed booking process again on its port; wait until it is ready."""
    victim = cluster.replicas_of("booking")[-1]
    victim.restart()
    log.add(f"{victim.name} ready again")


def restart_redis(cluster: Cluster, log: ChaosLog) -> None:
    """Stop Redis (SIGTERM) and start it on the same port and data."""
    if cluster.redis is None:
        log.add("redis given by URL: not restarted")
        return
    cluster.redis.stop()
    log.add("redis stopped")
    cluster.redis.start()
    log.add("redis started")


def restart_postgres(cluster: Cluster, log: ChaosLog) -> None:
    """Stop PostgreSQL (fast shutdown: every connection dropped) and start it again."""
    if cluster.pg is None:
        log.add("postgres given by URL: not restarted")
        return
    cluster.pg.stop()
    log.add("postgres stopped")
    cluster.pg.start()
    log.add("postgres started")


def chaos(cluster: Cluster, log: ChaosLog) -> Callable[[Sale], Awaitable[None]]:
    """The schedule, to run alongside a sale (`run_sale(..., alongside=chaos(cluster, log))`)."""

    async def schedule(sale: Sale) -> None:
        log.started = time.monotonic()
        sale.faults.on = True
        log.add("payment sandbox: fault outcomes on")
        # Each step after that much more progress since the previous one, so the faults are
        # spread over the sale rather than piled up.
        steps: list[tuple[str, int, Callable[[Cluster, ChaosLog], None]]] = [
            ("holds", 3, kill_booking),
            ("reservations", 3, restart_redis),
            ("payments", 3, restart_postgres),
        ]
        restarting: asyncio.Future[None] | None = None
        for counter, more, step in steps:
            count = sale.progress.counts[counter] + more
            if not await sale.progress.reached(counter, count, MILESTONE_TIMEOUT):
                log.add(f"({counter} never reached {count}; going on)")
            await asyncio.to_thread(step, cluster, log)
            if step is kill_booking:
                # The replacement boots while the sale (and the chaos) goes on, as a pod would.
                restarting = asyncio.ensure_future(asyncio.to_thread(restart_booking, cluster, log))
        await sale.progress.reached("payments", sale.progress.counts["payments"] + 4, 30)
        if restarting is not None:
            await restarting
        sale.faults.on = False
        log.add("payment sandbox: fault outcomes off")

    return schedule

"""The flash-sale drill: a sale over the cluster with chaos alongside, then the audit.

`flash_sale_drill` runs over a started cluster (the test's); `run_drill` starts one with
DRILL_ENV, runs the drill and stops it (what a benchmark or an operator calls):

    from tiketi.multiproc.drill import run_drill
    from tiketi.multiproc.flashsale import SaleSize
    drill = run_drill(SaleSize(fans=5000, seats=1000))
    print(drill.report()); assert drill.audit.clean
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
import httpx

from tiketi.multiproc.audit import Audit, audit
from tiketi.multiproc.chaos import ChaosLog, chaos
from tiketi.multiproc.cluster import Cluster, running_cluster
from tiketi.multiproc.flashsale import Journey, Sale, SaleSize, run_sale
from tiketi.multiproc.scenario import create_admin, organizer, publish_sale, sign_up_many

# What the cluster runs with in a drill, and why: short enough that expiry, the sweeper, the
# reconciler and mail retries all happen within the run.
DRILL_ENV: dict[str, str] = {
    "TIKETI_BOOKING_HOLD_SECONDS": "20",
    "TIKETI_BOOKING_SWEEP_SECONDS": "1",
    "TIKETI_PAYMENT_RECONCILE_SECONDS": "1",
    "TIKETI_PAYMENT_RECONCILE_MAX_BACKOFF_SECONDS": "4",
    # A `slow` sandbox answer (3 s) outlasts the client's timeout (1.5 s): a real time-out.
    "TIKETI_TOSS_TIMEOUT_SECONDS": "1.5",
    "TIKETI_PAYMENT_SANDBOX_SLOW_SECONDS": "3",
    "TIKETI_NOTIFY_RETRY_BASE_SECONDS": "1",
    "TIKETI_NOTIFY_RETRY_MAX_SECONDS": "4",
    "TIKETI_NOTIFY_LEASE_SECONDS": "15",
    "TIKETI_QUEUE_ADMISSION_SECONDS": "120",
    # Sign-ups hash a password; a drill signs up every fan.
    "TIKETI_AUTH_PASSWORD_TIME_COST": "1",
    "TIKETI_AUTH_PASSWORD_MEMORY_KIB": str(8 * 1024),
    "TIKETI_LOG_JSON": "true",
}


@dataclass
class Drill:
    """What happened and the verdict."""

    event_id: str
    journeys: list[Journey]
    chaos: ChaosLog
    audit: Audit

    def report(self) -> str:
        """The chaos steps, the tally and the invariants, for a person."""
        return f"chaos:\n{self.chaos}\nfans:\n{self.audit.report()}"

    def write(self, path: Path) -> None:
        """Every journey as a JSON line (fan, steps, the client's outcome)."""
        with path.open("w") as out:
            for journey in self.journeys:
                out.write(json.dumps({**asdict(journey), "fan": journey.fan.email}) + "\n")


async def flash_sale_drill(
    cluster: Cluster, admin_email: str, size: SaleSize, *, with_chaos: bool = True
) -> Drill:
    """Organizer, event (waiting room on), fans; the sale with chaos alongside; the audit."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=cluster.url, timeout=30, limits=limits) as client:
        owner = await organizer(client, admin_email)
        published = await publish_sale(
            client,
            owner,
            seats=size.seats,
            max_tickets=size.max_tickets,
            queue={"enabled": True, "max_active": size.max_active,
                   "admit_per_second": size.admit_per_second},
        )  # fmt: skip
        fans = await sign_up_many(client, size.fans)
    log = ChaosLog()
    connector = aiohttp.TCPConnector(limit=200)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        cluster.url, connector=connector, timeout=timeout
    ) as fans_client:
        sale = Sale(fans_client, published.event_id, size)
        journeys = await run_sale(sale, fans, alongside=chaos(cluster, log) if with_chaos else None)
    verdict = await audit(cluster, published.event_id, journeys)
    drill = Drill(published.event_id, journeys, log, verdict)
    drill.write(cluster.workdir / "journeys.jsonl")
    return drill


def run_drill(
    size: SaleSize | None = None,
    *,
    workdir: Path | None = None,
    env: Mapping[str, str] | None = None,
    with_chaos: bool = True,
) -> Drill:
    """Start a cluster (throwaway engines) with DRILL_ENV, run the drill, stop the cluster."""
    base = workdir or Path(tempfile.mkdtemp(prefix="tiketi-drill-"))
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TIKETI_")}
    settings = {**inherited, **DRILL_ENV, **(env or {})}
    with running_cluster(base, env=settings) as cluster:
        admin = create_admin(cluster.member_env(), cluster.workdir)
        return asyncio.run(
            flash_sale_drill(cluster, admin, size or SaleSize(), with_chaos=with_chaos)
        )

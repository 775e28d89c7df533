"""The stats service as a module of the platform: router, schema, subscription, live pushes."""

from __future__ import annotations

from pathlib import Path

from tiketi.kernel.module import ServiceModule
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.streams import Subscription
from tiketi.services.stats.adapters.orm import SCHEMA
from tiketi.services.stats.api.deps import StatsDeps
from tiketi.services.stats.api.routes import build_router
from tiketi.services.stats.service.projection import stats_handlers
from tiketi.services.stats.service.push import organizer_pusher
from tiketi.services.stats.settings import StatsSettings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP = "stats"


def stats_subscription(deps: StatsDeps) -> Subscription:
    """Stats' consumer group on catalog's, booking's and payment's events."""
    # Short upserts of facts: one transaction per read rather than per message.
    return Subscription(
        group=GROUP,
        schema=SCHEMA,
        handlers=stats_handlers(deps.changed),
        transaction_per_read=True,
    )


def build(platform: PlatformSettings, settings: StatsSettings | None = None) -> ServiceModule:
    """The stats module."""
    deps = StatsDeps(settings=settings or get_settings())

    async def start(runtime: Runtime) -> None:
        stats = deps.stats(runtime)
        deps.pusher = organizer_pusher(stats, runtime.realtime.emit_to_user)

    async def stop(runtime: Runtime) -> None:
        if deps.pusher is not None:
            await deps.pusher.close()

    return ServiceModule(
        name="stats",
        router=build_router(deps),
        schema=SCHEMA,
        migrations=MIGRATIONS,
        startup=[start],
        shutdown=[stop],
        subscriptions=[stats_subscription(deps)],
        exports={"stats": lambda: deps},
    )

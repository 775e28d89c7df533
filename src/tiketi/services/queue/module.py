"""The queue service as a module of the platform: router, schema, subscription, admitter."""

from __future__ import annotations

from pathlib import Path

from tiketi.kernel.module import ServiceModule, Worker
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings, refuse_default_secrets
from tiketi.kernel.streams import Subscription
from tiketi.services.queue.adapters.orm import SCHEMA
from tiketi.services.queue.api.deps import QueueDeps
from tiketi.services.queue.api.routes import build_router
from tiketi.services.queue.domain.ports import QueueNotifier
from tiketi.services.queue.service.events import event_handlers
from tiketi.services.queue.settings import QueueSettings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP = "queue"


def queue_subscription(deps: QueueDeps) -> Subscription:
    """The room's consumer group on catalog's event lifecycle and booking's sales/expiries."""
    return Subscription(group=GROUP, schema=SCHEMA, handlers=event_handlers(deps.current))


def _admitter(deps: QueueDeps) -> Worker:
    async def admit(runtime: Runtime) -> None:
        """Every process runs it; only the lease holder ticks."""
        await deps.admitter(runtime).run()

    return admit


def build(
    platform: PlatformSettings,
    settings: QueueSettings | None = None,
    notifier: QueueNotifier | None = None,
) -> ServiceModule:
    """The queue module; production refuses the default admission-token key."""
    settings = settings or get_settings()
    refuse_default_secrets(platform, {"TIKETI_QUEUE_KEY": settings.queue_key})
    deps = QueueDeps(settings=settings, notifier=notifier)

    async def start(runtime: Runtime) -> None:
        deps.queue(runtime)

    return ServiceModule(
        name="queue",
        router=build_router(deps),
        schema=SCHEMA,
        migrations=MIGRATIONS,
        startup=[start],
        workers=[_admitter(deps)],
        subscriptions=[queue_subscription(deps)],
        exports={"queue": lambda: deps},
    )

"""The notify service as a module of the platform: its consumer, its sender, its admin API."""

from __future__ import annotations

from pathlib import Path

import structlog

from tiketi.kernel.module import ServiceModule, Worker
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.streams import Subscription
from tiketi.services.notify.adapters.mailer import Mailer, SmtpMailer
from tiketi.services.notify.adapters.orm import SCHEMA
from tiketi.services.notify.api.deps import NotifyDeps
from tiketi.services.notify.api.routes import build_router
from tiketi.services.notify.service.ingest import event_handlers
from tiketi.services.notify.service.sender import run_sender
from tiketi.services.notify.settings import NotifySettings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP = "notify"
log = structlog.get_logger("tiketi.notify")


def notify_subscription() -> Subscription:
    """Notify's consumer group on users, events, reservations, tickets and refunds."""
    # Short upserts and one insert per owed email: one transaction per read rather than per
    # message (each event id is still recorded once, beside its effects; a read with a failing
    # message is applied again one message per transaction). Per message, the consumer fell
    # minutes behind a busy sale, and its emails with it.
    return Subscription(
        group=GROUP, schema=SCHEMA, handlers=event_handlers(), transaction_per_read=True
    )


def _sender(deps: NotifyDeps) -> Worker:
    async def send_mail(runtime: Runtime) -> None:
        """Send owed emails, retry failures, dead-letter the hopeless."""
        await run_sender(deps.notify(runtime))

    return send_mail


def build(
    platform: PlatformSettings,
    settings: NotifySettings | None = None,
    mailer: Mailer | None = None,
) -> ServiceModule:
    """The notify module; `mailer` replaces the SMTP/file choice (tests)."""
    settings = settings or get_settings()
    if platform.is_production and settings.smtp_host is None:
        # Not refused (a deployment may run notify elsewhere), but nobody would get mail.
        log.warning("notify_without_smtp", hint="set TIKETI_SMTP_HOST; mail goes to files")
    deps = NotifyDeps(settings=settings, mailer=mailer)

    async def start(runtime: Runtime) -> None:
        deps.notify(runtime)

    async def stop(runtime: Runtime) -> None:
        mailer = deps.notify(runtime).mailer
        if isinstance(mailer, SmtpMailer):
            await mailer.aclose()  # QUIT the connections kept open

    return ServiceModule(
        name="notify",
        router=build_router(deps),
        schema=SCHEMA,
        migrations=MIGRATIONS,
        startup=[start],
        shutdown=[stop],
        workers=[_sender(deps)],
        subscriptions=[notify_subscription()],
        exports={"notify": lambda: deps},
    )

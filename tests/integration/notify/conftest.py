"""Notify against real PostgreSQL, Redis and an SMTP server: a runtime, clean tables, events
delivered to the streams, and the sender's collaborators."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import open_runtime
from tests.integration.notify.smtp import SmtpSink, smtp_server
from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.notify.adapters.mailer import Mailer, SmtpMailer
from tiketi.services.notify.adapters.templates import Renderer
from tiketi.services.notify.service.common import Notify
from tiketi.services.notify.settings import NotifySettings

# A Redis database of our own: no other test's consumers read these streams.
REDIS_DB = 12
TABLES = ("emails", "users", "events", "reservations", "processed_events", "dead_events")


@pytest.fixture(scope="module")
async def runtime(migrated: PlatformSettings) -> AsyncIterator[Runtime]:
    # Its own Redis database (REDIS_DB): no other test's consumers read these streams.
    async with open_runtime(migrated, redis_db=REDIS_DB, pool_size=5) as rt:
        yield rt


@pytest.fixture(autouse=True)
async def clean(runtime: Runtime) -> None:
    """Every test starts from empty notify tables and streams (nothing else reads them)."""
    await runtime.redis.flushdb()
    async with runtime.db.engine.begin() as conn:
        await conn.execute(sa.text("TRUNCATE " + ", ".join(f"notify.{t}" for t in TABLES)))


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[SmtpSink, int]]:
    with smtp_server() as (sink, port):
        sink.bind(asyncio.get_running_loop())
        yield sink, port


def notify_settings(**overrides: object) -> NotifySettings:
    values: dict[str, object] = {
        "smtp_host": "127.0.0.1",
        "retry_base_seconds": 0.0,
        "max_attempts": 3,
        "smtp_timeout_seconds": 5.0,
        "mail_from": "Tiketi <tickets@tiketi.test>",
    }
    values.update(overrides)
    return NotifySettings(**values)  # type: ignore[arg-type]


def make_notify(
    runtime: Runtime,
    mailer: Mailer,
    settings: NotifySettings | None = None,
    templates: Path | None = None,
) -> Notify:
    settings = settings or notify_settings()
    return Notify(
        settings=settings,
        uow=lambda: UnitOfWork(runtime.db.sessions),
        mailer=mailer,
        renderer=Renderer(zone=settings.timezone, override_dir=templates),
    )


@pytest.fixture
def notify(runtime: Runtime, smtp: tuple[SmtpSink, int]) -> Notify:
    """Notify sending to the test's SMTP server; failures retry at once, 3 attempts."""
    _, port = smtp
    return make_notify(runtime, SmtpMailer(host="127.0.0.1", port=port, timeout=5.0))

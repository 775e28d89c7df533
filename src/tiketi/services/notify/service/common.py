"""What every notify use case shares: its settings and collaborators for one process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from tiketi.kernel.db import UnitOfWork
from tiketi.services.notify.adapters.mailer import Mailer
from tiketi.services.notify.adapters.templates import Renderer
from tiketi.services.notify.settings import NotifySettings


def utcnow() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)


@dataclass
class Notify:
    """One notify module's collaborators for one process."""

    settings: NotifySettings
    uow: Callable[[], UnitOfWork]
    mailer: Mailer
    renderer: Renderer

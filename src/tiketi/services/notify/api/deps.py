"""What notify's routes and workers need: the module's collaborators, built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import structlog
from fastapi import Depends

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.deps import require_role
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.tokens import Principal
from tiketi.services.notify.adapters.mailer import FileMailer, Mailer, SmtpMailer
from tiketi.services.notify.adapters.templates import Renderer
from tiketi.services.notify.service.common import Notify
from tiketi.services.notify.settings import NotifySettings

log = structlog.get_logger("tiketi.notify")


def build_mailer(settings: NotifySettings, mail_dir: Path) -> Mailer:
    """SMTP when a host is set, else .eml files under `mail_dir`."""
    if settings.smtp_host is None:
        log.info("mail_to_files", mail_dir=str(mail_dir.resolve()))
        return FileMailer(mail_dir)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user,
        password=password,
        start_tls=settings.smtp_starttls,
        use_tls=settings.smtp_tls,
        timeout=settings.smtp_timeout_seconds,
        # One connection per email sent at once, kept open between them.
        pool_size=settings.concurrency,
    )


@dataclass
class NotifyDeps:
    """One notify module's settings and its per-process collaborators."""

    settings: NotifySettings
    mailer: Mailer | None = None
    _notify: Notify | None = None

    def notify(self, runtime: Runtime) -> Notify:
        """The use cases' collaborators on this process's engines (made on first use)."""
        if self._notify is None:
            platform = runtime.settings
            mail_dir = self.settings.mail_root(platform.var_dir, platform.env)
            self._notify = Notify(
                settings=self.settings,
                uow=lambda: UnitOfWork(runtime.db.sessions),
                mailer=self.mailer or build_mailer(self.settings, mail_dir),
                renderer=Renderer(
                    zone=self.settings.timezone, override_dir=self.settings.templates_dir
                ),
            )
        return self._notify


AdminDep = Annotated[Principal, Depends(require_role())]

"""Where finished emails go: an SMTP server (Amazon SES's SMTP interface works the same), or,
with no SMTP host (development), .eml files that a mail client opens."""

from __future__ import annotations

import email.policy
import os
import re
import tempfile
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib
import structlog

log = structlog.get_logger("tiketi.notify")

# Folding a Korean subject at 78 columns makes Python drop the space between two encoded words
# ("콘서트 (3매)" arrives as "콘서트(3매)"); folding at SMTP's own line limit keeps it whole.
MESSAGE_POLICY = email.policy.default.clone(max_line_length=998)
_WIRE_POLICY = MESSAGE_POLICY.clone(linesep="\r\n")


class Mailer(Protocol):
    """Hands over one message; returns where it went; raises when it was not accepted."""

    async def send(self, message: EmailMessage) -> str:
        """Deliver `message` or raise."""
        ...


class SmtpMailer:
    """One SMTP connection per message: a refused recipient or a dropped connection costs
    that message only."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool | None = None,
        use_tls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.start_tls = start_tls
        self.use_tls = use_tls
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> str:
        """Raises aiosmtplib's errors (refused, disconnected, timed out) and OSError."""
        # Flattened here, not by aiosmtplib (which folds at 78 columns, see MESSAGE_POLICY).
        recipients = [address for _, address in getaddresses(message.get_all("To", []))]
        await aiosmtplib.send(
            message.as_bytes(policy=_WIRE_POLICY),
            sender=parseaddr(str(message["From"]))[1],
            recipients=recipients,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            start_tls=self.start_tls,
            use_tls=self.use_tls,
            timeout=self.timeout,
        )
        return f"smtp://{self.host}:{self.port}"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileMailer:
    """Writes each message to `<root>/<name>.eml`, named by its Message-ID: sending the same
    email again rewrites the same file, never a second one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def send(self, message: EmailMessage) -> str:
        """The file's path."""
        name = _UNSAFE.sub("_", str(message["Message-ID"] or "message").strip("<>")) + ".eml"
        path = self.root / name
        self._write(path, message.as_bytes(policy=MESSAGE_POLICY))
        log.info("mail_written", path=str(path), to=str(message["To"]))
        return str(path)

    def _write(self, path: Path, data: bytes) -> None:
        # Small and rare: a blocking write is cheaper than a thread hop. Atomic, so a crash
        # never leaves half a message for a mail client to choke on.
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

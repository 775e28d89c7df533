"""Where finished emails go: an SMTP server (Amazon SES's SMTP interface works the same), or,
with no SMTP host (development), .eml files that a mail client opens."""

from __future__ import annotations

import email.policy
import os
import re
import tempfile
import time
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
    """SMTP connections kept open and reused from one message to the next: a batch of mails
    costs one connect, (STARTTLS,) login per connection, not per message.

    A connection goes back to the pool after a message was accepted, or refused by the
    server's answer (aiosmtplib resets the envelope then); after anything else — dropped,
    timed out — it is closed, and the next message opens a new one. A connection idle for
    more than `idle_check_seconds` is checked with NOOP before use (servers close idle ones),
    and one idle for more than `keepalive_seconds` is closed rather than checked; so a stale
    connection never costs a message an attempt, and a message is never sent twice by a retry
    of ours (the sender's retries are the only ones).
    """

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
        pool_size: int = 4,
        keepalive_seconds: float = 30.0,
        idle_check_seconds: float = 1.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.start_tls = start_tls
        self.use_tls = use_tls
        self.timeout = timeout
        self.pool_size = pool_size
        self.keepalive_seconds = keepalive_seconds
        self.idle_check_seconds = idle_check_seconds
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # (connection, when last used)
        self.connections_opened = 0  # for metrics and tests

    async def send(self, message: EmailMessage) -> str:
        """Raises aiosmtplib's errors (refused, disconnected, timed out) and OSError."""
        # Flattened here, not by aiosmtplib (which folds at 78 columns, see MESSAGE_POLICY).
        data = message.as_bytes(policy=_WIRE_POLICY)
        recipients = [address for _, address in getaddresses(message.get_all("To", []))]
        sender = parseaddr(str(message["From"]))[1]
        connection = await self._checkout()
        try:
            await connection.sendmail(sender, recipients, data, timeout=self.timeout)
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException):
            # The server said no to this message; the connection itself is fine.
            self._checkin(connection)
            raise
        except BaseException:
            _discard(connection)
            raise
        self._checkin(connection)
        return f"smtp://{self.host}:{self.port}"

    async def aclose(self) -> None:
        """QUIT every idle connection."""
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            try:
                await connection.quit(timeout=min(self.timeout, 5.0))
            except (aiosmtplib.SMTPException, OSError):
                _discard(connection)

    async def _checkout(self) -> aiosmtplib.SMTP:
        now = time.monotonic()
        while self._idle:
            connection, last_used = self._idle.pop()
            idle = now - last_used
            if idle > self.keepalive_seconds or not connection.is_connected:
                _discard(connection)
                continue
            if idle > self.idle_check_seconds:
                try:
                    await connection.noop(timeout=self.timeout)
                except (aiosmtplib.SMTPException, OSError):
                    _discard(connection)
                    continue
            return connection
        return await self._connect()

    async def _connect(self) -> aiosmtplib.SMTP:
        connection = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            start_tls=self.start_tls,
            use_tls=self.use_tls,
            timeout=self.timeout,
        )
        await connection.connect()  # and STARTTLS and AUTH, as configured
        self.connections_opened += 1
        log.debug("smtp_connected", host=self.host, port=self.port)
        return connection

    def _checkin(self, connection: aiosmtplib.SMTP) -> None:
        if connection.is_connected and len(self._idle) < self.pool_size:
            self._idle.append((connection, time.monotonic()))
        else:
            _discard(connection)


def _discard(connection: aiosmtplib.SMTP) -> None:
    """Drop a connection without a goodbye (it is broken, or one too many)."""
    connection.close()


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

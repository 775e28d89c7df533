"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepts, refuses or drops on
demand, and lets a test await the messages it expects."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import zxingcpp
from aiosmtpd.controller import Controller
from PIL import Image

from tests.api.gateway.support import closed_port


class SmtpSink:
    """What the server accepted, and how it should misbehave.

    `refuse`: addresses answered 550 at RCPT. `drop`: addresses whose DATA makes the server
    close the connection. `hold`: addresses whose DATA waits until `release` is set, then is
    refused (the client gave up on it), so it is never counted as accepted.
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        # The client end (host, port) of every connection that sent a MAIL: one per connection.
        self.connections: set[tuple[str, int]] = set()
        self.refuse: set[str] = set()
        self.drop: set[str] = set()
        self.hold: set[str] = set()
        self.holding = threading.Event()
        self.release = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.controller: Controller | None = None
        self._changed: asyncio.Event | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wake waiters on `loop` (the test's) when a message arrives."""
        self._loop = loop
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        if self._loop is not None and self._changed is not None:
            self._loop.call_soon_threadsafe(self._changed.set)

    # aiosmtpd's handler hooks, named by aiosmtpd (run on the server's own thread and loop)
    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.connections.add(tuple(session.peer))
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipients = set(envelope.rcpt_tos)
        if recipients & self.drop:
            server.transport.close()
            return "421 4.3.0 Closing"
        if recipients & self.hold:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 10)
            return "451 4.3.0 Abandoned"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self._notify()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """Messages accepted for one recipient."""
        return [m for m in self.messages if address in str(m["To"])]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        """Return once `predicate()` holds (checked after every accepted message)."""
        assert self._changed is not None
        async with asyncio.timeout(timeout):
            while True:
                self._changed.clear()
                if predicate():
                    return
                await self._changed.wait()


@contextmanager
def smtp_server() -> Iterator[tuple[SmtpSink, int]]:
    """An aiosmtpd server on a random loopback port."""
    sink = SmtpSink()
    port = closed_port()
    sink.controller = Controller(sink, hostname="127.0.0.1", port=port)
    sink.controller.start()
    try:
        yield sink, port
    finally:
        sink.release.set()
        sink.controller.stop()


def restart(sink: SmtpSink, port: int) -> None:
    """Stop the server (dropping every connection) and start a new one on the same port."""
    assert sink.controller is not None
    sink.controller.stop()
    sink.controller = Controller(sink, hostname="127.0.0.1", port=port)
    sink.controller.start()


def inline_images(message: EmailMessage) -> dict[str, bytes]:
    """Content-ID (without brackets) → bytes of every inline PNG."""
    images = {}
    for part in message.walk():
        if part.get_content_type() == "image/png":
            cid = str(part["Content-ID"]).strip("<>")
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            images[cid] = payload
    return images


def decode_qr(png: bytes) -> str:
    """The text a QR code PNG carries (zxing-cpp, a real decoder)."""
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, f"expected one QR code, found {len(results)}"
    text: str = results[0].text
    return text


def body(message: EmailMessage, subtype: str) -> str:
    """The text/plain or text/html body."""
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    content: str = part.get_content()  # type: ignore[attr-defined]
    return content


# The `smtp` fixture: a running sink and its port.
Smtp = tuple[SmtpSink, int]

"""The sender: owed emails rendered, handed to SMTP (or written as files), retried, dead-lettered.

Exactly-once effect, and its one window: an email is claimed with a lease, sent outside any
transaction, and marked sent only after the SMTP server accepted it. A sender that dies
mid-batch leaves its claimed emails `sending`; when the lease runs out another sender takes
them, and sends only those never marked, so a restart never resends what was marked sent. The
window that remains is a crash after the server's "250 OK" and before the mark commits: that
one email is sent again. It carries the same Message-ID (fixed by its key), so mail servers and
clients that deduplicate on it (Gmail, for one) show it once.

Failures (a refused recipient, a dropped connection, a template error, data not arrived yet)
are logged with the integration event's id, retried with doubling back-off, and dead-lettered
after `max_attempts`; one email's failure never holds up the others in its batch.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

import structlog

from tiketi.kernel.streams import raise_if_cancelled
from tiketi.services.notify.adapters import metrics
from tiketi.services.notify.adapters.directory import Directory
from tiketi.services.notify.adapters.emails import Claimed, Emails
from tiketi.services.notify.adapters.mailer import MESSAGE_POLICY
from tiketi.services.notify.domain.errors import MissingData, NothingToSend
from tiketi.services.notify.domain.models import (
    EmailKind,
    Recipient,
    Rendered,
    choose_locale,
    is_final,
    message_id,
    retry_delay,
    sender_domain,
)
from tiketi.services.notify.service.common import Notify, utcnow

log = structlog.get_logger("tiketi.notify")


async def send_due(*, notify: Notify) -> int:
    """Claim one batch of due emails and settle each; how many were claimed."""
    settings = notify.settings
    async with notify.uow() as uow:
        claimed = await Emails(uow.session).claim(
            batch=settings.batch, lease=timedelta(seconds=settings.lease_seconds)
        )
        await uow.commit()
    # A few at a time: SMTP round trips dominate, and each email settles on its own.
    gate = asyncio.Semaphore(settings.concurrency)

    async def send(email: Claimed) -> None:
        async with gate:
            raise_if_cancelled()
            await _send_one(notify, email)

    # Every send settles before an error (PostgreSQL gone while marking) is raised: none is
    # left running behind the sender's back.
    outcomes = await asyncio.gather(*(send(email) for email in claimed), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return len(claimed)


async def run_sender(notify: Notify) -> None:
    """Send due emails for ever: at once while there are more, else every poll_seconds."""
    while True:
        raise_if_cancelled()
        try:
            claimed = await send_due(notify=notify)
        except Exception as exc:  # PostgreSQL away: the next turn retries
            log.warning("notify_sender_failed", error=str(exc))
            claimed = 0
        if claimed < notify.settings.batch:
            await asyncio.sleep(notify.settings.poll_seconds)


async def _send_one(notify: Notify, email: Claimed) -> None:
    try:
        message, recipient = await _compose(notify, email)
        where = await notify.mailer.send(message)
    except NothingToSend as exc:
        async with notify.uow() as uow:
            await Emails(uow.session).mark_skipped(email.id, reason=str(exc))
            await uow.commit()
        metrics.EMAILS.labels(email.kind.value, "skipped").inc()
        log.info("email_skipped", email_id=email.id, event_id=str(email.source_event_id))
        return
    except Exception as exc:
        await _failed(notify, email, exc)
        return
    async with notify.uow() as uow:
        await Emails(uow.session).mark_sent(
            email.id, recipient=recipient, message_id=str(message["Message-ID"])
        )
        await uow.commit()
    metrics.EMAILS.labels(email.kind.value, "sent").inc()
    log.info(
        "email_sent",
        email_id=email.id,
        kind=email.kind.value,
        event_id=str(email.source_event_id),
        to=where,
    )


async def _failed(notify: Notify, email: Claimed, exc: Exception) -> None:
    settings = notify.settings
    error = f"{type(exc).__name__}: {exc}"
    final = is_final(email.attempts, settings.max_attempts)
    retry_at = None
    if not final:
        delay = retry_delay(
            email.attempts, base=settings.retry_base_seconds, cap=settings.retry_max_seconds
        )
        retry_at = utcnow() + delay
    async with notify.uow() as uow:
        await Emails(uow.session).mark_failed(email.id, error=error, retry_at=retry_at)
        await uow.commit()
    metrics.EMAILS.labels(email.kind.value, "dead" if final else "failed").inc()
    # MissingData is expected while streams catch up; anything else deserves its traceback.
    (log.error if final else log.warning)(
        "email_dead_lettered" if final else "email_failed",
        email_id=email.id,
        kind=email.kind.value,
        event_id=str(email.source_event_id),
        attempt=email.attempts,
        error=error,
        exc_info=not isinstance(exc, MissingData),
    )


async def _compose(notify: Notify, email: Claimed) -> tuple[EmailMessage, str]:
    """The finished message and its recipient's address."""
    async with notify.uow() as uow:
        directory = Directory(uow.session)
        user = await directory.user(email.user_id)
        if user is None:
            raise MissingData(f"user {email.user_id} is not known yet")
        context = await _context(directory, email, user)
    locale = choose_locale(user.locale)
    domain = sender_domain(notify.settings.mail_from)
    mid = message_id(email.source_event_id, email.user_id, domain)

    def build() -> EmailMessage:
        rendered = notify.renderer.render(email.kind, locale, context)
        return _message(rendered, notify.settings.mail_from, user, mid, locale)

    # Off the event loop: a confirmation's QR codes take ~10 ms of CPU each, and in a process
    # that also serves fans every request would wait behind them; in a thread the loop gets
    # the interpreter back every few milliseconds.
    return await asyncio.to_thread(build), user.email


async def _context(directory: Directory, email: Claimed, user: Recipient) -> dict[str, Any]:
    data = dict(email.data)
    reservation_id = data.get("reservation_id")
    reservation = await directory.reservation(reservation_id) if reservation_id else None
    confirmation = email.kind is EmailKind.RESERVATION_CONFIRMED
    if confirmation and reservation is not None and reservation.cancel_reason is not None:
        raise NothingToSend("the reservation was canceled before its tickets were mailed")
    event_id = data.get("event_id") or (str(reservation.event_id) if reservation else None)
    event = await directory.event(uuid.UUID(event_id)) if event_id else None
    # The fan's own cancellation may have been read after the event's (side-by-side streams):
    # they hold nothing any more, and got their own email.
    canceled_event = email.kind is EmailKind.EVENT_CANCELED and event_id is not None
    if canceled_event and not await directory.holds_tickets(
        uuid.UUID(str(event_id)), email.user_id
    ):
        raise NothingToSend("the recipient canceled their reservation first")
    needs_event = email.kind is not EmailKind.PAYMENT_REFUNDED
    if event is None and needs_event:
        raise MissingData(f"event {event_id} is not known yet")
    return {
        **data,
        "user": {"name": user.name, "email": user.email},
        "event": None if event is None else {
            "title": event.title,
            "venue": event.venue_name,
            "starts_at": event.starts_at,
            "reason": event.cancel_reason,
        },
    }  # fmt: skip


def _message(
    rendered: Rendered, mail_from: str, user: Recipient, mid: str, locale: str
) -> EmailMessage:
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = rendered.subject
    name, address = parseaddr(mail_from)
    message["From"] = formataddr((name, address)) if name else address
    message["To"] = Address(display_name=user.name, addr_spec=user.email)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = mid
    # Tells auto-responders not to answer, and mail servers that nobody typed this.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # multipart/alternative: [text/plain, text/html]; the images join the HTML part as
    # multipart/related, which is what mail clients need to show cid: images inline.
    html = next(part for part in message.iter_parts() if part.get_content_type() == "text/html")
    assert isinstance(html, EmailMessage)
    for cid, png in rendered.images.items():
        html.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=_png(cid))
    # After the bodies: set_content drops every Content-* header set before it.
    message["Content-Language"] = locale
    return message


def _png(cid: str) -> str:
    return cid.split("@", 1)[0] + ".png"

"""SMTP connections are kept open and reused across a batch of mail, and a connection that went
stale (the server restarted) is replaced without costing a message an attempt."""

from __future__ import annotations

from tests.integration.notify.conftest import make_notify, notify_settings
from tests.integration.notify.smtp import Smtp, restart
from tests.integration.notify.support import (
    consume,
    deliver,
    emails,
    event,
    send_all,
    tickets_issued,
    user,
)
from tiketi.kernel.runtime import Runtime
from tiketi.services.notify.adapters.mailer import SmtpMailer

MAILS = 12


async def test_a_batch_of_mail_reuses_a_few_connections(runtime: Runtime, smtp: Smtp) -> None:
    sink, port = smtp
    settings = notify_settings(batch=20, concurrency=3)
    mailer = SmtpMailer(host="127.0.0.1", port=port, timeout=5.0, pool_size=3)
    notify = make_notify(runtime, mailer, settings)
    show, fans = event(), [user() for _ in range(MAILS)]
    await deliver(runtime, show, *fans)
    for fan in fans:
        await deliver(runtime, *tickets_issued(fan, show))
    await consume(runtime)

    await send_all(notify)
    assert all(len(sink.to(fan.email)) == 1 for fan in fans)
    # At most one connection per email in flight, not one per email.
    assert 1 <= mailer.connections_opened <= 3
    assert len(sink.connections) == mailer.connections_opened

    # The next batch goes out on the same connections.
    more = [user() for _ in range(3)]
    await deliver(runtime, *more)
    for fan in more:
        await deliver(runtime, *tickets_issued(fan, show))
    await consume(runtime)
    await send_all(notify)
    assert all(len(sink.to(fan.email)) == 1 for fan in more)
    assert mailer.connections_opened <= 3
    await mailer.aclose()
    rows = await emails(runtime)
    assert {(r["state"], r["attempts"]) for r in rows} == {("sent", 1)}


async def test_a_connection_the_server_dropped_is_replaced_without_a_lost_attempt(
    runtime: Runtime, smtp: Smtp
) -> None:
    sink, port = smtp
    # Checked before every reuse, as if the connection had been idle a while.
    mailer = SmtpMailer(host="127.0.0.1", port=port, timeout=5.0, idle_check_seconds=0.0)
    notify = make_notify(runtime, mailer)
    show, first, second = event(), user(), user()
    await deliver(runtime, show, first, second, *tickets_issued(first, show))
    await consume(runtime)
    await send_all(notify)
    assert len(sink.to(first.email)) == 1 and mailer.connections_opened == 1

    restart(sink, port)  # the pooled connection is dead now
    await deliver(runtime, *tickets_issued(second, show))
    await consume(runtime)
    await send_all(notify)
    assert len(sink.to(second.email)) == 1
    assert mailer.connections_opened == 2
    rows = await emails(runtime)
    assert {(r["state"], r["attempts"]) for r in rows} == {("sent", 1)}
    await mailer.aclose()

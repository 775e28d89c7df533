"""Bad input and failure: refused and dropped SMTP, template errors, missing data, crashes.
Each is retried, logged with the event id, dead-lettered in the end, and never holds up other
mail or the consumer."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.api.gateway.support import closed_port
from tests.integration.notify.conftest import make_notify, notify_settings
from tests.integration.notify.smtp import Smtp
from tests.integration.notify.support import (
    consume,
    deliver,
    emails,
    event,
    send_all,
    tickets_issued,
    user,
)
from tiketi.contracts.booking import ReservationCanceled
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.streams import stream_name
from tiketi.services.notify.adapters.mailer import FileMailer, SmtpMailer
from tiketi.services.notify.service.common import Notify
from tiketi.services.notify.service.sender import send_due


def _eml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml"))


def _by_user(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(row["user_id"]): row for row in rows}


async def test_a_refused_recipient_retries_then_dead_letters_without_holding_up_others(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    show, bad, good = event(), user(), user()
    sink.refuse.add(bad.email)
    await deliver(runtime, show, bad, good)
    await deliver(runtime, *tickets_issued(bad, show), *tickets_issued(good, show))
    await consume(runtime)

    await send_all(notify)
    assert len(sink.to(good.email)) == 1  # sent on the first pass, beside the failure
    row = _by_user(await emails(runtime))[bad.user_id]
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert "550" in str(row["last_error"])

    await send_all(notify, passes=3)  # max_attempts is 3; retries are due at once here
    row = _by_user(await emails(runtime))[bad.user_id]
    assert (row["state"], row["attempts"]) == ("dead", 3)
    assert row["dead_at"] is not None and "550" in str(row["last_error"])
    assert sink.to(bad.email) == [] and len(sink.to(good.email)) == 1


async def test_a_dropped_connection_or_a_server_that_is_down_is_retried(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    show, dropped, early = event(), user(), user()
    sink.drop.add(dropped.email)
    await deliver(runtime, show, dropped, early)
    await deliver(runtime, *tickets_issued(dropped, show), *tickets_issued(early, show))
    await consume(runtime)

    down = make_notify(runtime, SmtpMailer(host="127.0.0.1", port=closed_port(), timeout=2))
    await send_all(down)  # nothing listens: both fail, nothing is lost
    rows = _by_user(await emails(runtime))
    assert {row["state"] for row in rows.values()} == {"pending"}
    assert all(row["attempts"] == 1 for row in rows.values())

    await send_all(notify)  # the server is up; it drops one connection
    rows = _by_user(await emails(runtime))
    assert rows[early.user_id]["state"] == "sent"
    assert (rows[dropped.user_id]["state"], rows[dropped.user_id]["attempts"]) == ("pending", 2)

    sink.drop.clear()
    await send_all(notify)
    assert len(sink.to(dropped.email)) == 1 and len(sink.to(early.email)) == 1
    assert _by_user(await emails(runtime))[dropped.user_id]["state"] == "sent"


async def test_a_template_error_fails_only_its_own_email(
    runtime: Runtime, smtp: Smtp, tmp_path: Path
) -> None:
    sink, port = smtp
    # An operator's override of the Korean template with a mistake in it.
    (tmp_path / "reservation_canceled.ko.txt").write_text(
        "{% set subject %}취소{% endset %}{{ reservation.nonexistent }}", encoding="utf-8"
    )
    notify = make_notify(runtime, SmtpMailer(host="127.0.0.1", port=port), templates=tmp_path)
    show, korean, english = event(), user("ko"), user("en")
    await deliver(runtime, show, korean, english)
    for fan in (korean, english):
        confirmed, _ = tickets_issued(fan, show)
        fields = {"reservation_id", "event_id", "user_id", "seat_ids", "amount"}
        await deliver(
            runtime,
            confirmed,
            ReservationCanceled(**confirmed.model_dump(include=fields), refund=True,
                                reason="customer"),
        )  # fmt: skip
    await consume(runtime)

    await send_all(notify, passes=3)
    assert len(sink.to(english.email)) == 1 and sink.to(korean.email) == []
    row = _by_user(await emails(runtime))[korean.user_id]
    assert (row["state"], row["attempts"]) == ("dead", 3)
    assert "UndefinedError" in str(row["last_error"])


async def test_mail_for_a_user_not_yet_known_waits_for_them(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    fan, show = user("en"), event()
    await deliver(runtime, show, *tickets_issued(fan, show))  # auth's stream is behind
    await consume(runtime)
    await send_all(notify)
    [row] = await emails(runtime)
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert "not known yet" in str(row["last_error"])

    await deliver(runtime, fan)
    await consume(runtime)
    await send_all(notify)
    assert len(sink.to(fan.email)) == 1
    assert (await emails(runtime))[0]["state"] == "sent"


async def test_a_user_without_an_email_is_dead_lettered_by_the_consumer(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    fine = user()
    bad_payload = fine.model_dump(mode="json") | {"user_id": str(uuid.uuid4())}
    del bad_payload["email"]
    await runtime.redis.xadd(
        stream_name("UserRegistered"),
        {"event_id": str(uuid.uuid4()), "event_type": "UserRegistered", "version": "1",
         "payload": json.dumps(bad_payload)},
    )  # fmt: skip
    await deliver(runtime, fine)
    stats = await consume(runtime)
    assert (stats.applied, stats.dead) == (1, 1)
    async with runtime.db.engine.connect() as conn:
        dead = (await conn.execute(sa.text("SELECT error FROM notify.dead_events"))).scalars()
        assert "email" in " ".join(dead.all())
        users = await conn.execute(sa.text("SELECT count(*) FROM notify.users"))
        assert users.scalar() == 1
    # And the table itself refuses one, whatever code tries.
    with pytest.raises(IntegrityError):
        async with runtime.db.engine.begin() as conn:
            await conn.execute(
                sa.text("INSERT INTO notify.users (user_id, email, name) VALUES (:id, '', 'x')"),
                {"id": uuid.uuid4()},
            )


async def test_a_redelivered_event_owes_one_email(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    fan, show = user(), event()
    confirmed, issued = tickets_issued(fan, show)
    await deliver(runtime, fan, show, confirmed, issued)
    await consume(runtime)
    await send_all(notify)
    # The relay sends it again (a crash between its XADD and its commit): still one email.
    await deliver(runtime, issued)
    await consume(runtime)
    await send_all(notify)
    assert len(sink.to(fan.email)) == 1
    assert len(await emails(runtime)) == 1


async def test_a_sender_that_dies_mid_batch_sends_nothing_twice(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    show = event()
    fans = [user() for _ in range(4)]
    await deliver(runtime, show, *fans)
    for fan in fans:
        await deliver(runtime, *tickets_issued(fan, show, seats=1))
    await consume(runtime)
    ids = {str(row["user_id"]): row["id"] for row in await emails(runtime)}
    fans.sort(key=lambda fan: ids[fan.user_id])  # the sender goes in id order
    sink.hold.add(fans[2].email)  # the server sits on the third message
    one_by_one = make_notify(runtime, notify.mailer, notify_settings(concurrency=1))

    sender = asyncio.create_task(send_due(notify=one_by_one))
    await asyncio.wait_for(asyncio.to_thread(sink.holding.wait, 10), 15)
    sender.cancel()  # the process dies mid-batch, the third message never accepted
    with pytest.raises(asyncio.CancelledError):
        await sender
    sink.release.set()
    sink.hold.clear()
    states = {str(row["user_id"]): row["state"] for row in await emails(runtime)}
    assert [states[fan.user_id] for fan in fans] == ["sent", "sent", "sending", "sending"]

    # Not before its lease runs out does another sender take over what the dead one held.
    await send_all(one_by_one)
    assert len(sink.messages) == 2
    async with runtime.db.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE notify.emails SET lease_until = now() - interval '1s'"
                                   " WHERE state = 'sending'"))  # fmt: skip
    await send_all(one_by_one)

    for fan in fans:
        assert len(sink.to(fan.email)) == 1
    assert len({m["Message-ID"] for m in sink.messages}) == 4
    rows = {str(row["user_id"]): row for row in await emails(runtime)}
    assert [rows[fan.user_id]["attempts"] for fan in fans] == [1, 1, 2, 2]
    assert {row["state"] for row in rows.values()} == {"sent"}


async def test_without_an_smtp_host_mail_is_written_as_eml_files_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    notify = make_notify(runtime, FileMailer(tmp_path), notify_settings(smtp_host=None))
    fan, show = user("en", name="Dev"), event(title="Local Show")
    await deliver(runtime, fan, show, *tickets_issued(fan, show))
    await consume(runtime)
    await send_all(notify)
    [path] = _eml_files(tmp_path)
    content = path.read_bytes()
    assert b"Subject: [Tiketi] Your tickets: Local Show (2)" in content
    assert fan.email.encode() in content
    # Sent again (the crash window after writing, before the mark): the same file, rewritten.
    async with runtime.db.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE notify.emails SET state = 'pending'"))
    await send_all(notify)
    assert _eml_files(tmp_path) == [path]


async def test_senders_running_side_by_side_send_each_email_once(
    runtime: Runtime, smtp: Smtp
) -> None:
    sink, port = smtp
    show = event()
    fans = [user() for _ in range(24)]
    await deliver(runtime, show, *fans)
    for fan in fans:
        await deliver(runtime, *tickets_issued(fan, show, seats=1))
    await consume(runtime)
    # Three replicas' senders, small batches, all at once: SKIP LOCKED shares the rows out.
    senders = [
        make_notify(runtime, SmtpMailer(host="127.0.0.1", port=port), notify_settings(batch=5))
        for _ in range(3)
    ]

    async def work(notify: Notify) -> None:
        while await send_due(notify=notify):
            pass

    await asyncio.gather(*(work(notify) for notify in senders))
    assert sorted(str(m["To"]).split("<")[1].rstrip(">") for m in sink.messages) == sorted(
        fan.email for fan in fans
    )
    rows = await emails(runtime)
    assert {(row["state"], row["attempts"]) for row in rows} == {("sent", 1)}

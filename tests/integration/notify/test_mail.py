"""What notify mails, to whom, in which language: read back from a real SMTP server."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integration.notify.smtp import Smtp, body, decode_qr, inline_images
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
from tiketi.contracts.catalog import EventCanceled
from tiketi.contracts.payment import PaymentRefunded
from tiketi.kernel.runtime import Runtime
from tiketi.services.notify.service.common import Notify


async def test_confirmation_carries_each_ticket_with_its_qr_code(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    fan, show = user("ko"), event()
    confirmed, issued = tickets_issued(fan, show, seats=3)
    await deliver(runtime, fan, show, confirmed, issued)
    await consume(runtime)
    await send_all(notify)

    [mail] = sink.to(fan.email)
    assert mail["Subject"] == "[Tiketi] 예매 완료: 아이유 콘서트 (3매)"
    assert mail["From"] == "Tiketi <tickets@tiketi.test>"
    assert mail["Message-ID"].endswith("@tiketi.test>")
    text, html = body(mail, "plain"), body(mail, "html")
    assert "2026년 12월 24일 (목) 19:00 KST" in text
    assert "KSPO DOME" in text and confirmed.reservation_id in text
    for ticket in issued.tickets:
        assert f"Floor A B열 {ticket.number}번 (VIP석)" in text
    images = inline_images(mail)
    assert len(images) == 3
    by_cid = {f"qr-{t.ticket_id}@tiketi": t.qr_token for t in issued.tickets}
    for cid, png in images.items():
        assert f'src="cid:{cid}"' in html
        assert decode_qr(png) == by_cid[cid]
    [row] = await emails(runtime)
    assert (row["state"], row["attempts"], row["recipient"]) == ("sent", 1, fan.email)


async def test_the_users_locale_chooses_the_language(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    show = event(title="Coldplay")
    korean, english, unknown = user("ko"), user("en-US", name="Sam"), user("fr", name="Zoé")
    await deliver(runtime, show, korean, english, unknown)
    for fan in (korean, english, unknown):
        await deliver(runtime, *tickets_issued(fan, show, seats=1))
    await consume(runtime)
    await send_all(notify)

    assert sink.to(korean.email)[0]["Subject"] == "[Tiketi] 예매 완료: Coldplay (1매)"
    assert sink.to(unknown.email)[0]["Subject"] == "[Tiketi] 예매 완료: Coldplay (1매)"
    [mail] = sink.to(english.email)
    assert mail["Subject"] == "[Tiketi] Your tickets: Coldplay (1)"
    assert mail["Content-Language"] == "en"
    assert "Thu, 24 Dec 2026 19:00 KST" in body(mail, "plain")
    assert "Hi Sam" in body(mail, "html")


async def test_event_canceled_mails_every_holder_once(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    show = event()
    holders = [user("ko"), user("en", name="Kim"), user("ko")]
    quitter, late = user("ko"), user("en", name="Late")
    await deliver(runtime, show, *holders, quitter, late)
    for fan in holders:
        await deliver(runtime, tickets_issued(fan, show)[0])
    quit_confirmed, _ = tickets_issued(quitter, show)
    await deliver(runtime, quit_confirmed)
    await deliver(
        runtime,
        ReservationCanceled(
            **quit_confirmed.model_dump(include={"reservation_id", "event_id", "user_id",
                                                 "seat_ids", "amount"}),
            refund=True,
            reason="customer",
        ),
    )  # fmt: skip
    canceled = EventCanceled(
        event_id=show.event_id,
        organizer_id=show.organizer_id,
        title=show.title,
        reason="아티스트 건강 문제",
        canceled_at=datetime.now(UTC),
    )
    await deliver(runtime, canceled)
    await consume(runtime)
    # Booking then cancels each holder's reservation (reason event_canceled): no extra mail.
    # A holder whose confirmation this consumer reads only after the cancellation (streams
    # are read side by side) still gets the same one email.
    late_confirmed, _ = tickets_issued(late, show)
    await deliver(runtime, late_confirmed)
    await deliver(
        runtime,
        ReservationCanceled(
            **late_confirmed.model_dump(include={"reservation_id", "event_id", "user_id",
                                                 "seat_ids", "amount"}),
            refund=True,
            reason="event_canceled",
        ),
    )  # fmt: skip
    await consume(runtime)
    await send_all(notify)

    for fan in [*holders, late]:
        [mail] = sink.to(fan.email)
        subject = mail["Subject"]
        assert subject in (
            "[Tiketi] 공연 취소 안내: 아이유 콘서트",
            "[Tiketi] Event canceled: 아이유 콘서트",
        )
        assert "아티스트 건강 문제" in body(mail, "plain")
    [mail] = sink.to(quitter.email)  # their own cancellation, not the event's
    assert mail["Subject"] == "[Tiketi] 예매 취소: 아이유 콘서트"
    assert "330,000원은 환불 처리 중" in body(mail, "plain")
    rows = await emails(runtime)
    assert {r["source_event_id"] for r in rows if r["kind"] == "event_canceled"} == {
        canceled.message_id
    }
    # Whichever stream was read first, the quitter's event email (if one was owed) is skipped.
    sent = sorted(r["kind"] for r in rows if r["state"] == "sent")
    assert sent == ["event_canceled"] * 4 + ["reservation_canceled"]


async def test_refund_mail_finds_the_payer_from_the_reservation(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    fan, show = user("en", name="Ana"), event(title="Swan Lake")
    confirmed, _ = tickets_issued(fan, show, seats=1)
    refund = PaymentRefunded(
        reservation_id=confirmed.reservation_id,
        payment_key="pk",
        user_id=None,  # a payment learnt of from a TossPayments webhook alone
        amount=165000,
        reason="seats_gone",
    )
    await deliver(runtime, fan, show, confirmed, refund)
    await consume(runtime)
    await send_all(notify)

    [mail] = sink.to(fan.email)
    assert mail["Subject"] == "[Tiketi] Refunded: ₩165,000"
    text = body(mail, "plain")
    assert "Swan Lake" in text and "sold to someone else" in text


async def test_a_payment_canceled_at_toss_sends_one_refund_email_not_two(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    fan, show = user("en", name="Ana"), event(title="Swan Lake")
    confirmed, issued = tickets_issued(fan, show, seats=1)
    fields = {"reservation_id", "event_id", "user_id", "seat_ids", "amount"}
    voided = ReservationCanceled(
        **confirmed.model_dump(include=fields), refund=False, reason="payment_canceled"
    )
    refund = PaymentRefunded(
        reservation_id=confirmed.reservation_id, payment_key="pk", user_id=fan.user_id,
        amount=confirmed.amount, reason="payment_canceled",
    )  # fmt: skip
    await deliver(runtime, fan, show, confirmed, issued, voided, refund)
    await consume(runtime)
    await send_all(notify)

    kinds = sorted(r["kind"] for r in await emails(runtime) if r["state"] == "sent")
    assert "reservation_canceled" not in kinds
    assert kinds.count("payment_refunded") == 1
    assert [m["Subject"] for m in sink.to(fan.email)].count("[Tiketi] Refunded: ₩165,000") == 1


async def test_a_confirmation_voided_before_it_went_out_is_skipped(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    fan, show = user(), event()
    confirmed, issued = tickets_issued(fan, show, seats=1)
    fields = {"reservation_id", "event_id", "user_id", "seat_ids", "amount"}
    canceled = ReservationCanceled(
        **confirmed.model_dump(include=fields), refund=True, reason="customer"
    )
    await deliver(runtime, fan, show, confirmed, issued, canceled)
    await consume(runtime)
    await send_all(notify)

    assert [m["Subject"] for m in sink.to(fan.email)] == ["[Tiketi] 예매 취소: 아이유 콘서트"]
    states = {r["kind"]: r["state"] for r in await emails(runtime)}
    assert states == {"reservation_confirmed": "skipped", "reservation_canceled": "sent"}
    assert uuid.UUID(fan.user_id)


async def test_an_email_is_rendered_off_the_event_loop(
    runtime: Runtime, notify: Notify, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its QR codes take milliseconds of CPU each: the loop serving fans must not run them.
    sink, _ = smtp
    loop_thread = threading.get_ident()
    rendered_on: list[int] = []
    render = notify.renderer.render

    def recording(*args: Any, **kwargs: Any) -> Any:
        rendered_on.append(threading.get_ident())
        return render(*args, **kwargs)

    monkeypatch.setattr(notify.renderer, "render", recording)
    fan, show = user("en"), event()
    confirmed, issued = tickets_issued(fan, show, seats=2)
    await deliver(runtime, fan, show, confirmed, issued)
    await consume(runtime)
    await send_all(notify)

    assert len(sink.to(fan.email)) == 1
    assert rendered_on and loop_thread not in rendered_on

"""A busy sale: notify's consumer applies a whole read of the streams in one transaction; every
purchase still owes exactly one email, however often its events arrive."""

from __future__ import annotations

import sqlalchemy as sa

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
from tiketi.kernel.runtime import Runtime
from tiketi.services.notify.module import notify_subscription
from tiketi.services.notify.service.common import Notify


def test_the_consumer_applies_a_read_in_one_transaction() -> None:
    assert notify_subscription().transaction_per_read


async def test_many_purchases_in_one_read_owe_one_email_each(
    runtime: Runtime, notify: Notify, smtp: Smtp
) -> None:
    sink, _ = smtp
    show = event()
    fans = [user() for _ in range(12)]
    purchases = [tickets_issued(fan, show, seats=2) for fan in fans]
    # Everything at once, as the relay sends it during a sale: users, the event, purchases.
    await deliver(runtime, *fans, show, *(e for purchase in purchases for e in purchase))
    stats = await consume(runtime)
    assert (stats.applied, stats.duplicates, stats.failed, stats.dead) == (
        len(fans) + 1 + 2 * len(purchases),
        0,
        0,
        0,
    )
    # The relay sends every purchase again: nothing new is owed.
    await deliver(runtime, *(e for purchase in purchases for e in purchase))
    again = await consume(runtime)
    assert (again.applied, again.duplicates) == (0, 2 * len(purchases))
    await send_all(notify, passes=2)
    owed = await emails(runtime)
    assert len(owed) == len(purchases)
    assert {row["state"] for row in owed} == {"sent"}
    for fan in fans:
        assert len(sink.to(fan.email)) == 1
    async with runtime.db.engine.connect() as conn:
        reservations = await conn.scalar(
            sa.text("SELECT count(*) FROM notify.reservations WHERE confirmed")
        )
    assert reservations == len(purchases)

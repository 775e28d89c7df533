"""The seat map's versions under concurrent holds and releases (docs/booking.md, "Versions"):
a client that loads a snapshot at version V and applies every delta with a version above V
ends at the true map, whichever moment it loaded the snapshot at."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from typing import Any

import sqlalchemy as sa

from tests.api.booking.support import published_event, seat_ids
from tests.integration.booking.conftest import RecordingSink
from tests.integration.booking.test_holds import _install
from tiketi.kernel.errors import DomainError
from tiketi.kernel.runtime import Runtime
from tiketi.services.booking.service import holds, inventory
from tiketi.services.booking.service.common import Booking

FANS = 12
ROUNDS = 12


async def _truth(runtime: Runtime, event_id: str) -> dict[int, str]:
    async with runtime.db.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT seat_id, CASE WHEN status = 'held' AND hold_expires_at <= now() "
                "THEN 'available' ELSE status END FROM booking.seats WHERE event_id = :e"
            ),
            {"e": uuid.UUID(event_id)},
        )
        return {int(seat): str(status) for seat, status in rows.all()}


async def test_a_snapshot_plus_the_later_deltas_is_the_true_map(
    runtime: Runtime, booking: Booking, sink: RecordingSink
) -> None:
    event = published_event(rows=3, per_row=10, max_tickets=4)
    await _install(runtime, event)
    ids = seat_ids(event)
    snapshots: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def reader() -> None:
        while not done.is_set():
            snapshot = await inventory.seat_map(booking=booking, event_id=event.event_id)
            snapshots.append(json.loads(snapshot.body))
            await asyncio.sleep(0)

    async def fan(i: int) -> None:
        rng = random.Random(i)
        user = str(uuid.uuid4())
        for _ in range(ROUNDS):
            try:
                hold = await holds.hold_seats(
                    booking=booking, user_id=user, event_id=event.event_id,
                    seat_ids=rng.sample(ids, 2),
                )  # fmt: skip
            except DomainError:
                continue
            if rng.random() < 0.6:
                await holds.release_hold(booking=booking, user_id=user, hold_id=hold.id)

    readers = [asyncio.ensure_future(reader()) for _ in range(3)]
    await asyncio.gather(*(fan(i) for i in range(FANS)))
    done.set()
    await asyncio.gather(*readers)

    truth = await _truth(runtime, event.event_id)
    ours = [(version, changes) for eid, version, changes in sink.calls if eid == event.event_id]
    deltas = sorted(ours, key=lambda delta: delta[0])
    # Every committed change has a version of its own.
    assert len({version for version, _ in deltas}) == len(deltas) > FANS
    versions = {snapshot["version"] for snapshot in snapshots}
    assert len(versions) > 1, "the readers should have seen the map change"
    for snapshot in snapshots:
        state = {seat["id"]: seat["status"] for seat in snapshot["seats"]}
        for version, changes in deltas:
            if version > snapshot["version"]:
                state.update({change["id"]: change["status"] for change in changes})
        assert state == truth, f"snapshot at version {snapshot['version']} does not converge"

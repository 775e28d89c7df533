"""The published ETA (`eta_per_person` in `queue:progress`, in the meta and in `status`) follows
the real pace of admissions, whatever made them — here a room bound by `max_active`, where
every admission is capacity a leaving fan gave back, never the admitter's own tick."""

from __future__ import annotations

import math
import uuid

import pytest

from tests.api.queue.support import RecordingNotifier, install, room
from tests.integration.queue.conftest import fans
from tiketi.kernel.runtime import Runtime
from tiketi.services.queue.adapters.store import keys
from tiketi.services.queue.service import joining
from tiketi.services.queue.service.admitter import Admitter
from tiketi.services.queue.service.common import Queue

IP = "198.51.100.9"
TICK = 0.2


async def test_the_published_eta_tracks_admissions_made_by_leavers(
    runtime: Runtime, queue: Queue, notifier: RecordingNotifier
) -> None:
    # Admitting up to 200/s is allowed, but only 2 may shop at once: the room moves exactly as
    # fast as fans give their place back — one a second here.
    event = room(max_active=2, rate=200)
    await install(runtime.db, event)
    line = fans(40)
    for fan in line:
        await joining.join(queue=queue, user_id=fan, event_id=event.event_id, client_ip=IP)
    now = [0.0]
    admitter = Admitter(queue, owner=f"test-{uuid.uuid4().hex[:8]}", clock=lambda: now[0])
    current = await queue.directory.require(event.event_id)
    etas: list[float] = []

    for second in range(20):
        # The fan admitted longest ago leaves: the leave itself admits the next one.
        await joining.leave(queue=queue, user_id=line[second], event_id=event.event_id)
        for _ in range(round(1 / TICK)):
            now[0] += TICK
            reply = await admitter.step(current)
            assert reply is not None and reply.admitted == []  # the tick never admits anyone
        await admitter.control([current])
        etas.append(float((await queue.store.meta(event.event_id))["eta"]))

    # Before the pace is measured, the allowed rate (1/200 s); then about a second a person.
    assert etas[0] == pytest.approx(1 / 200)
    assert all(0.8 <= eta <= 1.25 for eta in etas[10:]), etas
    sent = [payload["eta_per_person"] for _, payload in notifier.sent_progress]
    assert all(0.8 <= eta <= 1.25 for eta in sent[-8:]), sent
    assert await runtime.redis.hget(keys(event.event_id)[0], "admitted_total") == "22"

    # `status` answers every process's fans with the published pace.
    last = await joining.status(queue=queue, user_id=line[-1], event_id=event.event_id)
    assert last.position == 17
    assert last.eta_seconds == math.ceil(18 * etas[-1])
    assert 14 <= (last.eta_seconds or 0) <= 23

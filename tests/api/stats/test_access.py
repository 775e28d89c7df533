"""Who sees which figures: the organizer their event's, admins everything; 401/403/404."""

from __future__ import annotations

import uuid

import httpx

from tests.api.booking.support import Fan, published_event, sign_up
from tests.api.stats.support import drain_stats
from tests.integration.stats.support import send
from tiketi.kernel.runtime import Runtime


async def test_the_organizer_and_admins_see_an_event_others_are_refused(
    http: httpx.AsyncClient, runtime: Runtime, organizer: Fan, admin: Fan
) -> None:
    event = published_event().model_copy(update={"organizer_id": organizer.id})
    await send(runtime.redis, event)
    await drain_stats(runtime)
    path = f"/api/v1/stats/events/{event.event_id}"

    mine = await http.get(path, headers=organizer.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["seats"] == {"total": 20, "available": 20, "held": 0, "sold": 0}
    assert (await http.get(path, headers=admin.headers)).json() == mine.json()

    stranger = await sign_up(http, "stranger")
    refused = await http.get(path, headers=stranger.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "NOT_EVENT_OWNER"
    assert (await http.get(path)).status_code == 401

    overview = await http.get("/api/v1/stats/overview", headers=admin.headers)
    assert overview.status_code == 200
    assert event.event_id in {line["event_id"] for line in overview.json()["by_event"]}
    for caller in (organizer, stranger):
        answer = await http.get("/api/v1/stats/overview", headers=caller.headers)
        assert answer.status_code == 403


async def test_an_unknown_event_is_404(http: httpx.AsyncClient, admin: Fan) -> None:
    for event_id in (str(uuid.uuid4()), "not-a-uuid"):
        answer = await http.get(f"/api/v1/stats/events/{event_id}", headers=admin.headers)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "EVENT_NOT_FOUND"

"""`tiketi seed-demo`: an organizer, a fan, a 2,000-seat venue and a published event; idempotent."""

from __future__ import annotations

import httpx
import pytest

from tiketi.demo import DEMO_TITLE, ORGANIZER, DemoRefused, seed_demo
from tiketi.kernel.settings import PlatformSettings


async def test_seed_demo_is_idempotent(
    settings: PlatformSettings, client: httpx.AsyncClient
) -> None:
    first = await seed_demo(settings)
    second = await seed_demo(settings)
    assert first.created is True
    assert second.created is False
    assert second.event_id == first.event_id

    event = (await client.get(f"/api/v1/events/{first.event_id}")).json()
    assert event["title"] == DEMO_TITLE
    assert event["status"] == "published"
    assert event["sale_state"] == "on_sale"
    assert event["queue"]["enabled"] is True
    assert sum(grade["available"] for grade in event["grades"]) == 2000
    listed = (await client.get("/api/v1/events", params={"q": DEMO_TITLE})).json()["items"]
    assert [item["id"] for item in listed] == [first.event_id]

    login = await client.post(
        "/api/v1/auth/login", json={"email": ORGANIZER[0], "password": ORGANIZER[1]}
    )
    assert login.json()["user"]["role"] == "organizer"


async def test_seed_demo_refuses_production(settings: PlatformSettings) -> None:
    with pytest.raises(DemoRefused):
        await seed_demo(settings.model_copy(update={"env": "production"}))

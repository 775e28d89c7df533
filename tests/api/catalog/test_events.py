"""Events over HTTP: create, change, publish, cancel, read — with every error path of API.md."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from tests.api.catalog.conftest import (
    Accounts,
    create_event,
    create_venue,
    error_code,
    event_body,
    publish,
)
from tiketi.kernel.db import Database
from tiketi.kernel.relay import relay_batch
from tiketi.kernel.streams import stream_name
from tiketi.services.catalog.api.schemas import EventRead


async def test_an_organizer_creates_a_draft(api: httpx.AsyncClient, accounts: Accounts) -> None:
    venue = await create_venue(api, accounts.organizer)
    body = event_body(venue["id"], starts_at="2027-01-10T19:00:00+09:00")
    body.update(
        ends_at="2027-01-10T22:00:00+09:00",
        sale_closes_at="2027-01-10T18:00:00+09:00",
    )

    response = await api.post("/api/v1/events", json=body, headers=accounts.organizer.headers)

    assert response.status_code == 201
    event = response.json()
    EventRead.model_validate(event)
    assert event["status"] == "draft" and event["sale_state"] == "upcoming"
    assert event["organizer_id"] == accounts.organizer.id
    assert event["venue"] == {
        "id": venue["id"],
        "name": venue["name"],
        "address": venue["address"],
        "seat_count": 8,
    }
    assert event["starts_at"] == "2027-01-10T10:00:00Z"
    assert [(g["code"], g["price"], g["seat_count"], g["available"]) for g in event["grades"]] == [
        ("VIP", 165000, 5, 5),
        ("R", 99000, 3, 3),
    ]
    assert event["seat_grades"] == {"Floor": "VIP", "Balcony": "R"}
    assert event["queue"] == {"enabled": True, "max_active": 100, "admit_per_second": 10.0}
    assert event["currency"] == "KRW" and event["image_url"] is None


async def test_who_may_create_events(api: httpx.AsyncClient, accounts: Accounts) -> None:
    venue = await create_venue(api, accounts.organizer)

    customer = await api.post(
        "/api/v1/events", json=event_body(venue["id"]), headers=accounts.customer.headers
    )
    anonymous = await api.post("/api/v1/events", json=event_body(venue["id"]))
    admin = await api.post(
        "/api/v1/events", json=event_body(venue["id"]), headers=accounts.admin.headers
    )

    assert customer.status_code == 403 and error_code(customer) == "FORBIDDEN"
    assert anonymous.status_code == 401
    assert admin.status_code == 201


async def test_invalid_events_name_every_field(api: httpx.AsyncClient, accounts: Accounts) -> None:
    venue = await create_venue(api, accounts.organizer)
    body = event_body(
        venue["id"],
        grades=[
            {"code": "VIP", "name": "VIP", "price": -1},
            {"code": "VIP", "name": "B", "price": 1},
        ],
        seat_grades={"Floor": "VIP", "Roof": "VIP"},
        max_tickets_per_user=21,
        queue={"enabled": True, "max_active": 0, "admit_per_second": 0},
    )
    body["ends_at"] = body["starts_at"]

    response = await api.post("/api/v1/events", json=body, headers=accounts.organizer.headers)

    assert response.status_code == 422 and error_code(response) == "VALIDATION_ERROR"
    assert response.json()["error"]["details"] == {
        "ends_at": "must be after starts_at",
        "grades.0.price": "must be between 0 and 1000000000 (KRW)",
        "grades.1.code": "duplicate grade code 'VIP'",
        "seat_grades.Roof": "the venue has no section named 'Roof'",
        "seat_grades.Balcony": "section 'Balcony' needs a grade",
        "max_tickets_per_user": "must be between 1 and 20",
        "queue.max_active": "must be between 1 and 1000000",
        "queue.admit_per_second": "must be above 0 and at most 100000",
    }


async def test_naive_times_unknown_venues_and_bad_json(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    venue = await create_venue(api, accounts.organizer)
    naive = event_body(venue["id"], starts_at="2027-01-10T19:00:00")
    unknown = event_body(str(uuid.uuid4()))

    naive_response = await api.post(
        "/api/v1/events", json=naive, headers=accounts.organizer.headers
    )
    unknown_response = await api.post(
        "/api/v1/events", json=unknown, headers=accounts.organizer.headers
    )
    malformed = await api.post(
        "/api/v1/events",
        content=b"{",
        headers={**accounts.organizer.headers, "Content-Type": "application/json"},
    )

    assert naive_response.status_code == 422
    assert list(naive_response.json()["error"]["details"]) == ["starts_at"]
    assert unknown_response.status_code == 422
    assert unknown_response.json()["error"]["details"] == {"venue_id": "no venue has this id"}
    assert malformed.status_code == 400


async def test_drafts_are_seen_by_their_organizer_and_admins_only(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    event = await create_event(api, accounts.organizer)
    path = f"/api/v1/events/{event['id']}"

    assert (await api.get(path, headers=accounts.organizer.headers)).status_code == 200
    assert (await api.get(path, headers=accounts.admin.headers)).status_code == 200
    for headers in ({}, accounts.customer.headers, accounts.other_organizer.headers):
        response = await api.get(path, headers=headers)
        assert response.status_code == 404 and error_code(response) == "NOT_FOUND"
    for missing in (str(uuid.uuid4()), "nope"):
        assert (await api.get(f"/api/v1/events/{missing}")).status_code == 404
    bad_token = await api.get(path, headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401

    await publish(api, accounts.organizer, event["id"])
    public = await api.get(path)
    assert public.status_code == 200 and public.json()["sale_state"] == "on_sale"


async def test_only_the_owner_or_an_admin_changes_an_event(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    event = await create_event(api, accounts.organizer)
    path = f"/api/v1/events/{event['id']}"

    owner = await api.patch(
        path,
        json={"title": "  New title ", "description": None},
        headers=accounts.organizer.headers,
    )
    admin = await api.patch(path, json={"max_tickets_per_user": 2}, headers=accounts.admin.headers)
    other = await api.patch(path, json={"title": "Mine"}, headers=accounts.other_organizer.headers)
    customer = await api.patch(path, json={"title": "Mine"}, headers=accounts.customer.headers)
    anonymous = await api.patch(path, json={"title": "Mine"})
    missing = await api.patch(
        f"/api/v1/events/{uuid.uuid4()}", json={"title": "x"}, headers=accounts.admin.headers
    )

    assert owner.status_code == 200
    assert owner.json()["title"] == "New title" and owner.json()["description"] == ""
    assert admin.status_code == 200 and admin.json()["max_tickets_per_user"] == 2
    assert admin.json()["title"] == "New title"
    assert other.status_code == 403 and error_code(other) == "FORBIDDEN"
    assert customer.status_code == 403
    assert anonymous.status_code == 401
    assert missing.status_code == 404
    for action in ("publish", "cancel"):
        response = await api.post(f"{path}/{action}", headers=accounts.other_organizer.headers)
        assert response.status_code == 403


async def test_a_draft_may_change_anything_and_is_rechecked(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    event = await create_event(api, accounts.organizer)
    other_venue = await create_venue(
        api,
        accounts.organizer,
        sections=[{"name": "Hall", "rows": [{"label": "A", "seats": 10}]}],
    )
    path = f"/api/v1/events/{event['id']}"

    moved = await api.patch(
        path,
        json={
            "venue_id": other_venue["id"],
            "grades": [{"code": "GA", "name": "General", "price": 0}],
            "seat_grades": {"Hall": "GA"},
            "queue": {"enabled": False},
        },
        headers=accounts.organizer.headers,
    )
    broken = await api.patch(
        path, json={"seat_grades": {"Floor": "GA"}}, headers=accounts.organizer.headers
    )
    nulls = await api.patch(path, json={"title": None}, headers=accounts.organizer.headers)

    assert moved.status_code == 200
    assert moved.json()["venue"]["id"] == other_venue["id"]
    assert moved.json()["grades"] == [
        {"code": "GA", "name": "General", "price": 0, "seat_count": 10, "available": 10}
    ]
    assert moved.json()["queue"] == {"enabled": False, "max_active": 100, "admit_per_second": 10.0}
    assert broken.status_code == 422
    assert broken.json()["error"]["details"] == {
        "seat_grades.Floor": "the venue has no section named 'Floor'",
        "seat_grades.Hall": "section 'Hall' needs a grade",
    }
    assert nulls.status_code == 422 and nulls.json()["error"]["details"] == {
        "title": "may not be null"
    }


async def test_publishing_freezes_inventory_and_puts_it_on_the_stream(
    api: httpx.AsyncClient, accounts: Accounts, db: Database
) -> None:
    event = await create_event(api, accounts.organizer)
    path = f"/api/v1/events/{event['id']}"

    published = await publish(api, accounts.organizer, event["id"])
    again = await api.post(f"{path}/publish", headers=accounts.organizer.headers)
    price = await api.patch(
        path,
        json={"grades": [{"code": "VIP", "name": "VIP석", "price": 1}, event["grades"][1]]},
        headers=accounts.organizer.headers,
    )
    mapping = await api.patch(
        path,
        json={"seat_grades": {"Floor": "R", "Balcony": "VIP"}},
        headers=accounts.organizer.headers,
    )
    elsewhere = await create_venue(api, accounts.organizer)
    moved = await api.patch(
        path, json={"venue_id": elsewhere["id"]}, headers=accounts.organizer.headers
    )
    allowed = await api.patch(
        path,
        json={"title": "Renamed", "queue": {"admit_per_second": 25}},
        headers=accounts.organizer.headers,
    )

    assert published["status"] == "published" and published["published_at"] is not None
    assert again.status_code == 409 and error_code(again) == "EVENT_PUBLISHED"
    assert price.status_code == 409 and error_code(price) == "EVENT_PUBLISHED"
    assert price.json()["error"]["details"] == {"grades": "frozen once the event is published"}
    assert mapping.status_code == 409
    assert moved.status_code == 409
    assert moved.json()["error"]["details"] == {"venue_id": "frozen once the event is published"}
    assert allowed.status_code == 200 and allowed.json()["queue"]["admit_per_second"] == 25
    # The relay (the app runs one too) puts EventPublished on its stream.
    runtime = api._transport.app.state.runtime  # type: ignore[attr-defined]
    await relay_batch(runtime, schema="catalog")
    for _ in range(50):
        entries = await runtime.redis.xrange(stream_name("EventPublished"))
        payloads = [json.loads(fields["payload"]) for _, fields in entries]
        mine = [p for p in payloads if p["event_id"] == event["id"]]
        if mine:
            break
        await asyncio.sleep(0.1)
    assert len(mine) == 1
    assert sorted(seat["seat_id"] for seat in mine[0]["seats"]) == sorted(
        seat["id"]
        for s in (await api.get(f"/api/v1/venues/{event['venue']['id']}")).json()["sections"]
        for row in s["rows"]
        for seat in row["seats"]
    )


async def test_publishing_needs_an_open_window(api: httpx.AsyncClient, accounts: Accounts) -> None:
    now = datetime.now(UTC)
    event = await create_event(
        api,
        accounts.organizer,
        sale_opens_at=(now - timedelta(days=2)).isoformat(),
        sale_closes_at=(now - timedelta(days=1)).isoformat(),
    )

    response = await api.post(
        f"/api/v1/events/{event['id']}/publish", headers=accounts.organizer.headers
    )

    assert response.status_code == 422
    assert list(response.json()["error"]["details"]) == ["sale_closes_at"]


async def test_canceling_closes_the_event_to_change(
    api: httpx.AsyncClient, accounts: Accounts, db: Database
) -> None:
    event = await create_event(api, accounts.organizer)
    path = f"/api/v1/events/{event['id']}"
    await publish(api, accounts.organizer, event["id"])

    canceled = await api.post(
        f"{path}/cancel", json={"reason": "Typhoon"}, headers=accounts.organizer.headers
    )
    twice = await api.post(f"{path}/cancel", headers=accounts.admin.headers)
    patch = await api.patch(path, json={"title": "Back"}, headers=accounts.organizer.headers)
    republish = await api.post(f"{path}/publish", headers=accounts.organizer.headers)

    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled" and canceled.json()["sale_state"] == "closed"
    assert twice.status_code == 200 and twice.json()["status"] == "canceled"
    assert patch.status_code == 409 and error_code(patch) == "EVENT_CANCELED"
    assert republish.status_code == 409 and error_code(republish) == "EVENT_CANCELED"
    async with db.engine.connect() as conn:
        kinds = (
            await conn.scalars(
                text(
                    "SELECT event_type FROM catalog.outbox WHERE payload->>'event_id' = :e "
                    "ORDER BY id"
                ),
                {"e": event["id"]},
            )
        ).all()
    assert kinds == ["EventPublished", "EventCanceled"]
    # A draft may be canceled too; nobody outside the catalog knew it, so nothing is sent.
    draft = await create_event(api, accounts.organizer)
    response = await api.post(
        f"/api/v1/events/{draft['id']}/cancel", headers=accounts.organizer.headers
    )
    assert response.status_code == 200 and response.json()["status"] == "canceled"

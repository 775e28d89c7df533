"""GET /api/v1/events: filters, visibility of drafts, search (Korean too), cursor pages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.catalog.conftest import (
    Accounts,
    create_event,
    create_venue,
    error_code,
    publish,
)
from tiketi.services.catalog.api.schemas import EventPage

BASE = datetime.now(UTC).replace(microsecond=0) + timedelta(days=60)


def times(day: int) -> dict[str, str]:
    start = BASE + timedelta(days=day)
    return {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "sale_opens_at": (BASE - timedelta(days=70)).isoformat(),
        "sale_closes_at": (start - timedelta(hours=1)).isoformat(),
    }


async def all_pages(api: httpx.AsyncClient, limit: int, **params: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit} | ({"cursor": cursor} if cursor else {})
        response = await api.get("/api/v1/events", params=query)
        assert response.status_code == 200, response.text
        page = EventPage.model_validate(response.json())
        pages.append([str(item.id) for item in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


async def test_pages_follow_start_time_then_id_without_gaps_or_repeats(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    venue = await create_venue(api, accounts.organizer)
    # Two share a start time: the id breaks the tie, so no page boundary can lose one.
    days = [3, 1, 2, 2, 5, 4, 0]
    made = []
    for day in days:
        event = await create_event(api, accounts.organizer, venue["id"], **times(day))
        await publish(api, accounts.organizer, event["id"])
        made.append((event["starts_at"], event["id"]))
    draft = await create_event(api, accounts.organizer, venue["id"], **times(1))

    pages = await all_pages(api, 3, venue_id=venue["id"])

    assert [len(page) for page in pages] == [3, 3, 1]
    flat = [event_id for page in pages for event_id in page]
    expected = [event_id for _, event_id in sorted(made, key=lambda m: (m[0], uuid.UUID(m[1])))]
    assert flat == expected
    assert draft["id"] not in flat
    assert await all_pages(api, 7, venue_id=venue["id"]) == [expected]


async def test_drafts_are_listed_for_their_organizer_and_admins(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    venue = await create_venue(api, accounts.organizer)
    mine = await create_event(api, accounts.organizer, venue["id"])
    theirs = await create_event(api, accounts.other_organizer, venue["id"])
    live = await create_event(api, accounts.organizer, venue["id"])
    await publish(api, accounts.organizer, live["id"])

    async def ids(headers: dict[str, str], **params: Any) -> set[str]:
        response = await api.get(
            "/api/v1/events", params={"venue_id": venue["id"], **params}, headers=headers
        )
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids({}) == {live["id"]}
    assert await ids({}, status="draft") == set()
    assert await ids(accounts.customer.headers, status="draft") == set()
    assert await ids(accounts.organizer.headers, status="draft") == {mine["id"]}
    assert await ids(accounts.admin.headers, status="draft") == {mine["id"], theirs["id"]}
    assert await ids(accounts.organizer.headers, mine="true") == {mine["id"], live["id"]}
    assert await ids(accounts.organizer.headers, mine="true", status="published") == {live["id"]}
    anonymous_mine = await api.get("/api/v1/events", params={"mine": "true"})
    assert anonymous_mine.status_code == 401

    await api.post(f"/api/v1/events/{live['id']}/cancel", headers=accounts.organizer.headers)
    assert await ids({}) == set()
    assert await ids({}, status="canceled") == {live["id"]}


async def test_search_matches_title_and_venue_in_korean_and_folds_width(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    tag = uuid.uuid4().hex[:6]
    venue = await create_venue(api, accounts.organizer, name=f"올림픽 체조경기장 {tag}")
    concert = await create_event(api, accounts.organizer, venue["id"], title=f"IU 콘서트 {tag}")
    musical = await create_event(api, accounts.organizer, venue["id"], title=f"뮤지컬 100% {tag}")
    for event in (concert, musical):
        await publish(api, accounts.organizer, event["id"])

    async def search(q: str) -> set[str]:
        response = await api.get("/api/v1/events", params={"q": q})
        assert response.status_code == 200
        return {item["id"] for item in response.json()["items"]}

    assert await search(f"콘서트 {tag}") == {concert["id"]}
    assert await search(f"ＩＵ 콘서트 {tag}") == {concert["id"]}
    assert await search(f"체조경기장 {tag}") == {concert["id"], musical["id"]}
    assert await search(f"100% {tag}") == {musical["id"]}
    # LIKE's wildcards are literal: "_" does not stand for the "0".
    assert await search(f"1_0% {tag}") == set()


async def test_date_range_on_the_start_time(api: httpx.AsyncClient, accounts: Accounts) -> None:
    venue = await create_venue(api, accounts.organizer)
    made = {}
    for day in (10, 20, 30):
        event = await create_event(api, accounts.organizer, venue["id"], **times(day))
        await publish(api, accounts.organizer, event["id"])
        made[day] = event["id"]

    response = await api.get(
        "/api/v1/events",
        params={
            "venue_id": venue["id"],
            "from": (BASE + timedelta(days=20)).isoformat(),
            "to": (BASE + timedelta(days=30)).isoformat(),
        },
    )

    assert [item["id"] for item in response.json()["items"]] == [made[20], made[30]]


async def test_bad_list_parameters_are_422(api: httpx.AsyncClient) -> None:
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"status": "archived"},
        {"venue_id": "nope"},
        {"from": "2026-12-01T00:00:00"},
        {"to": "tomorrow"},
        {"cursor": "garbage"},
    ):
        response = await api.get("/api/v1/events", params=params)

        assert response.status_code == 422, params
        assert error_code(response) == "VALIDATION_ERROR"
        assert response.json()["error"]["details"], params

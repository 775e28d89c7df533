"""POST/GET /api/v1/venues: roles, layouts with seat ids, validation paths, lists, 100k seats."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.api.catalog.conftest import Accounts, create_venue, error_code, venue_body
from tiketi.services.catalog.api.schemas import VenueRead


async def test_an_organizer_creates_a_venue_and_anyone_reads_it(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    response = await api.post(
        "/api/v1/venues", json=venue_body(name="  체조경기장 "), headers=accounts.organizer.headers
    )

    assert response.status_code == 201
    venue = response.json()
    VenueRead.model_validate(venue)
    assert venue["name"] == "체조경기장" and venue["seat_count"] == 8
    floor, balcony = venue["sections"]
    assert floor["name"] == "Floor" and floor["seat_count"] == 5
    assert [[seat["label"] for seat in row["seats"]] for row in floor["rows"]] == [
        ["1", "2", "3"],
        ["1", "2"],
    ]
    assert [seat["label"] for seat in balcony["rows"][0]["seats"]] == ["L1", "L2", "R1"]
    ids = [seat["id"] for s in venue["sections"] for r in s["rows"] for seat in r["seats"]]
    assert len(set(ids)) == 8 and ids == sorted(ids)

    anonymous = await api.get(f"/api/v1/venues/{venue['id']}")
    assert anonymous.status_code == 200 and anonymous.json() == venue
    assert anonymous.headers["content-type"] == "application/json"


async def test_admins_may_create_venues_but_customers_and_strangers_may_not(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    await create_venue(api, accounts.admin)

    customer = await api.post(
        "/api/v1/venues", json=venue_body(), headers=accounts.customer.headers
    )
    anonymous = await api.post("/api/v1/venues", json=venue_body())
    forged = await api.post(
        "/api/v1/venues", json=venue_body(), headers={"Authorization": "Bearer not.a.token"}
    )

    assert customer.status_code == 403 and error_code(customer) == "FORBIDDEN"
    assert anonymous.status_code == 401 and error_code(anonymous) == "UNAUTHORIZED"
    assert forged.status_code == 401 and error_code(forged) == "INVALID_TOKEN"


async def test_unknown_venues_are_404(api: httpx.AsyncClient) -> None:
    for venue_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = await api.get(f"/api/v1/venues/{venue_id}")

        assert response.status_code == 404 and error_code(response) == "NOT_FOUND"


async def test_every_layout_violation_is_named_by_its_path(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    body = venue_body(
        name=" ",
        sections=[
            {"name": "Floor", "rows": [{"label": "A", "seats": 2}, {"label": "A", "seats": 0}]},
            {"name": "Floor", "rows": [{"label": "A", "seats": ["1", "1"]}]},
        ],
    )

    response = await api.post("/api/v1/venues", json=body, headers=accounts.organizer.headers)

    assert response.status_code == 422
    assert error_code(response) == "VALIDATION_ERROR"
    assert response.json()["error"]["details"] == {
        "name": "a venue name must not be empty",
        "sections.0.rows.1.label": "duplicate row label 'A'",
        "sections.0.rows.1.seats": "a row needs at least one seat",
        "sections.1.name": "duplicate section name 'Floor'",
        "sections.1.rows.0.seats.1": "duplicate seat label '1'",
    }


async def test_the_seat_limit_and_malformed_bodies(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    too_many = venue_body(sections=[{"name": "All", "rows": [{"label": "A", "seats": 100_001}]}])
    no_sections = venue_body(sections=[])
    wrong_type = venue_body(sections=[{"name": "All", "rows": [{"label": "A", "seats": "many"}]}])

    responses = [
        await api.post("/api/v1/venues", json=body, headers=accounts.organizer.headers)
        for body in (too_many, no_sections, wrong_type)
    ]

    assert [r.status_code for r in responses] == [422, 422, 422]
    assert responses[0].json()["error"]["details"] == {
        "sections": "a venue has at most 100000 seats, not 100001"
    }
    assert responses[1].json()["error"]["details"] == {
        "sections": "a venue needs at least one section"
    }
    assert any(
        key.startswith("sections.0.rows.0.seats") for key in responses[2].json()["error"]["details"]
    )


async def test_a_100000_seat_venue_is_one_request(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    sections = [
        {"name": f"S{s:02d}", "rows": [{"label": f"R{r}", "seats": 100} for r in range(50)]}
        for s in range(20)
    ]

    started = time.perf_counter()
    response = await api.post(
        "/api/v1/venues", json=venue_body(sections=sections), headers=accounts.organizer.headers
    )
    elapsed = time.perf_counter() - started
    print(f"\nPOST /api/v1/venues with 100,000 seats: {response.status_code} in {elapsed:.3f} s")

    assert response.status_code == 201
    venue = response.json()
    assert venue["seat_count"] == 100_000
    assert sum(len(r["seats"]) for s in venue["sections"] for r in s["rows"]) == 100_000
    read = await api.get(f"/api/v1/venues/{venue['id']}")
    assert read.json()["seat_count"] == 100_000


async def test_venues_are_listed_newest_first_in_pages(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    tag = uuid.uuid4().hex[:8]
    made = [
        (await create_venue(api, accounts.organizer, name=f"Arena {tag} {n}"))["id"]
        for n in range(5)
    ]

    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": f"arena {tag}", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/api/v1/venues", params=params)).json()
        seen += [item["id"] for item in page["items"]]
        assert "sections" not in (page["items"] or [{}])[0]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(made))
    bad = await api.get("/api/v1/venues", params={"cursor": "nonsense"})
    assert bad.status_code == 422 and "cursor" in bad.json()["error"]["details"]

"""The seat map over HTTP: the snapshot's bytes, its ETag (304 while current), and gzip."""

from __future__ import annotations

import gzip
import json

import httpx

from tests.api.booking.support import install, published_event, seat_ids, sign_up
from tiketi.kernel.db import Database


async def test_etag_answers_304_until_the_map_changes(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event()
    await install(db, event)
    path = f"/api/v1/events/{event.event_id}/seats"
    first = await api.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith(f'W/"{first.json()["version"]}-')
    assert first.headers["cache-control"] == "no-cache"
    again = await api.get(path, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    # Strong or weak, a list, or another map's tag: weak comparison, as RFC 9110 says.
    assert (await api.get(path, headers={"If-None-Match": f'"x", {etag[2:]}'})).status_code == 304
    assert (await api.get(path, headers={"If-None-Match": '"other"'})).status_code == 200

    fan = await sign_up(api)
    held = await api.post(
        "/api/v1/holds",
        json={"event_id": event.event_id, "seat_ids": seat_ids(event)[:1]},
        headers=fan.headers,
    )
    assert held.status_code == 201
    changed = await api.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["version"] == first.json()["version"] + 1


async def test_gzip_when_asked(api: httpx.AsyncClient, db: Database) -> None:
    event = published_event(rows=10, per_row=20)
    await install(db, event)
    path = f"/api/v1/events/{event.event_id}/seats"
    plain = await api.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    async with api.stream("GET", path, headers={"Accept-Encoding": "br, gzip"}) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["etag"] == plain.headers["etag"]
    assert json.loads(gzip.decompress(raw)) == plain.json()
    assert len(raw) * 5 < len(plain.content)
    refused = await api.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers

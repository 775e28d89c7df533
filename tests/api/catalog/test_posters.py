"""POST /api/v1/events/{id}/image: judged by content, stored, served at /media, recorded."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import text

from tests.api.catalog.conftest import Accounts, create_event, error_code, publish
from tiketi.kernel.db import Database


def png(width: int = 40, height: int = 60) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def stored_files(media_dir: Path) -> list[Path]:
    return [path for path in media_dir.rglob("*") if path.is_file()] if media_dir.exists() else []


async def upload(
    api: httpx.AsyncClient,
    event_id: str,
    data: bytes,
    headers: dict[str, str],
    *,
    filename: str = "poster.png",
    content_type: str = "image/png",
) -> httpx.Response:
    return await api.post(
        f"/api/v1/events/{event_id}/image",
        files={"file": (filename, data, content_type)},
        headers=headers,
    )


async def test_the_owner_uploads_a_poster_that_is_served_and_shown(
    api: httpx.AsyncClient, accounts: Accounts, media_dir: Path
) -> None:
    event = await create_event(api, accounts.organizer)
    image = png()

    # The name and the declared type say nothing: the bytes decide.
    response = await upload(
        api,
        event["id"],
        image,
        accounts.organizer.headers,
        filename="x.gif",
        content_type="text/plain",
    )

    assert response.status_code == 201
    url = response.json()["url"]
    assert url.startswith(f"/media/events/{event['id']}/") and url.endswith(".png")
    served = await api.get(url)
    assert served.status_code == 200 and served.content == image
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    detail = await api.get(f"/api/v1/events/{event['id']}", headers=accounts.organizer.headers)
    assert detail.json()["image_url"] == url
    assert len(stored_files(media_dir)) == 1


async def test_non_images_empty_and_huge_files_are_refused_and_nothing_is_stored(
    api: httpx.AsyncClient, accounts: Accounts, media_dir: Path
) -> None:
    event = await create_event(api, accounts.organizer)
    headers = accounts.organizer.headers
    executable = b"MZ\x90\x00" + b"\x00" * 1024

    renamed = await upload(api, event["id"], executable, headers, filename="poster.jpg")
    empty = await upload(api, event["id"], b"", headers)
    huge = await upload(
        api, event["id"], b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 * 1024 * 1024), headers
    )

    assert renamed.status_code == 415 and error_code(renamed) == "UNSUPPORTED_MEDIA_TYPE"
    assert empty.status_code == 415 and error_code(empty) == "UNSUPPORTED_MEDIA_TYPE"
    assert huge.status_code == 413 and error_code(huge) == "PAYLOAD_TOO_LARGE"
    assert stored_files(media_dir) == []
    detail = await api.get(f"/api/v1/events/{event['id']}", headers=headers)
    assert detail.json()["image_url"] is None


async def test_who_may_upload(api: httpx.AsyncClient, accounts: Accounts, media_dir: Path) -> None:
    event = await create_event(api, accounts.organizer)

    other = await upload(api, event["id"], png(), accounts.other_organizer.headers)
    anonymous = await upload(api, event["id"], png(), {})
    missing = await upload(api, str(uuid.uuid4()), png(), accounts.admin.headers)
    no_file = await api.post(
        f"/api/v1/events/{event['id']}/image", headers=accounts.organizer.headers
    )
    admin = await upload(api, event["id"], png(), accounts.admin.headers)

    assert other.status_code == 403 and error_code(other) == "FORBIDDEN"
    assert anonymous.status_code == 401
    assert missing.status_code == 404
    assert no_file.status_code == 422 and "file" in no_file.json()["error"]["details"]
    assert admin.status_code == 201
    assert len(stored_files(media_dir)) == 1


async def test_a_published_event_announces_its_new_poster_and_a_canceled_one_refuses(
    api: httpx.AsyncClient, accounts: Accounts, db: Database
) -> None:
    event = await create_event(api, accounts.organizer)
    await publish(api, accounts.organizer, event["id"])

    response = await upload(api, event["id"], png(), accounts.organizer.headers)
    await api.post(f"/api/v1/events/{event['id']}/cancel", headers=accounts.organizer.headers)
    late = await upload(api, event["id"], png(), accounts.organizer.headers)

    assert response.status_code == 201
    async with db.engine.connect() as conn:
        updates = (
            await conn.scalars(
                text(
                    "SELECT payload FROM catalog.outbox WHERE event_type = 'EventUpdated' "
                    "AND payload->>'event_id' = :e"
                ),
                {"e": event["id"]},
            )
        ).all()
    assert [(u["changed"], u["image_url"]) for u in updates] == [
        (["image_url"], response.json()["url"])
    ]
    assert late.status_code == 409 and error_code(late) == "EVENT_CANCELED"


@pytest.fixture
def secret_beside_media(media_dir: Path) -> Path:
    media_dir.mkdir(parents=True, exist_ok=True)
    secret = media_dir.parent / "secret.txt"
    secret.write_text("no")
    return secret


async def test_media_paths_cannot_leave_the_media_directory(
    api: httpx.AsyncClient, secret_beside_media: Path
) -> None:
    for path in ("/media/%2e%2e/secret.txt", "/media/..%2fsecret.txt", "/media/events/none.png"):
        response = await api.get(path)

        assert response.status_code == 404, path

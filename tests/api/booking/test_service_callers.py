"""The internal confirm route admits service tokens and admins, never fans or foreign keys."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from tests.api.booking.support import error_code, install, published_event, seat_ids, sign_up
from tiketi.kernel.db import Database
from tiketi.kernel.service_tokens import mint_service_token
from tiketi.kernel.settings import PlatformSettings


async def _reservation(api: httpx.AsyncClient, db: Database) -> tuple[str, int, dict[str, str]]:
    event = published_event()
    await install(db, event)
    fan = await sign_up(api)
    hold = await api.post(
        "/api/v1/holds",
        json={"event_id": event.event_id, "seat_ids": seat_ids(event)[:1]},
        headers=fan.headers,
    )
    assert hold.status_code == 201, hold.text
    reservation = await api.post(
        "/api/v1/reservations", json={"hold_id": hold.json()["id"]}, headers=fan.headers
    )
    assert reservation.status_code == 201, reservation.text
    body = reservation.json()
    return body["id"], body["amount"], fan.headers


async def test_service_token_confirms_and_fans_are_forbidden(
    api: httpx.AsyncClient, db: Database, settings: PlatformSettings
) -> None:
    reservation_id, amount, fan_headers = await _reservation(api, db)
    path = f"/api/v1/reservations/{reservation_id}/confirm"
    body = {"payment_key": "pk-service-test", "amount": amount}

    by_fan = await api.post(path, json=body, headers=fan_headers)
    assert by_fan.status_code == 403, by_fan.text

    foreign = settings.model_copy(update={"service_key": SecretStr("another-deployment")})
    forged = {"Authorization": f"Bearer {mint_service_token(foreign, service='payment')}"}
    by_forged = await api.post(path, json=body, headers=forged)
    assert by_forged.status_code == 401 and error_code(by_forged) == "INVALID_TOKEN"

    service = {"Authorization": f"Bearer {mint_service_token(settings, service='payment')}"}
    confirmed = await api.post(path, json=body, headers=service)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["outcome"] == "confirmed"
    again = await api.post(path, json=body, headers=service)
    assert again.json()["outcome"] == "already_confirmed"


async def test_service_token_is_not_a_fan(
    api: httpx.AsyncClient, settings: PlatformSettings
) -> None:
    service = {"Authorization": f"Bearer {mint_service_token(settings, service='payment')}"}
    mine = await api.get("/api/v1/reservations", headers=service)
    # A service has no reservations of its own; it is never mistaken for a user.
    assert mine.status_code == 404, mine.text

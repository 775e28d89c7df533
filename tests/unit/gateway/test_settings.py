"""The gateway's settings: one URL per service from TIKETI_GATEWAY_*, checked when read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tiketi.services.gateway.domain.routing import SERVICES
from tiketi.services.gateway.settings import GatewaySettings


def test_urls_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKETI_GATEWAY_AUTH_URL", "http://auth:8000/")
    monkeypatch.setenv("TIKETI_GATEWAY_BOOKING_URL", " https://booking.internal ")
    monkeypatch.setenv("TIKETI_GATEWAY_STATS_URL", "")
    monkeypatch.setenv("TIKETI_GATEWAY_READ_TIMEOUT_SECONDS", "5")

    settings = GatewaySettings()

    assert settings.url_for("auth") == "http://auth:8000"
    assert settings.url_for("booking") == "https://booking.internal"
    assert settings.url_for("stats") is None
    assert settings.read_timeout_seconds == 5


def test_every_routed_service_has_a_url_setting() -> None:
    settings = GatewaySettings.model_validate(
        {f"{name}_url": f"http://{name}:8000" for name in SERVICES}
    )

    assert [settings.url_for(name) for name in SERVICES] == [
        f"http://{name}:8000" for name in SERVICES
    ]
    assert settings.url_for("nonsense") is None


def test_defaults_know_no_service_and_wait_sensibly() -> None:
    settings = GatewaySettings()

    assert all(settings.url_for(name) is None for name in SERVICES)
    assert settings.connect_timeout_seconds == 2
    assert settings.read_timeout_seconds == 30


@pytest.mark.parametrize("url", ["auth:8000", "ftp://auth", "ws://booking:8000"])
def test_a_url_without_http_is_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        GatewaySettings(auth_url=url)

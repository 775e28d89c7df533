"""The proof of work, a place's ETA, the room's errors and settings."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.routing import APIRoute
from pydantic import SecretStr

from tiketi.kernel.settings import InsecureSettingsError, PlatformSettings
from tiketi.services.queue.domain.errors import QueueClosed, QueueDisabled
from tiketi.services.queue.domain.models import QueueEvent, eta_seconds, from_ms, to_ms
from tiketi.services.queue.domain.pow import leading_zero_bits, new_challenge, solve, solves
from tiketi.services.queue.module import build
from tiketi.services.queue.settings import QueueSettings


def test_leading_zero_bits() -> None:
    assert leading_zero_bits(b"\x00\x00\xff") == 16
    assert leading_zero_bits(b"\x00\x10") == 11
    assert leading_zero_bits(b"\x80") == 0
    assert leading_zero_bits(b"\x00\x00") == 16


def test_a_solved_challenge_checks_and_a_wrong_nonce_does_not() -> None:
    challenge = new_challenge()
    nonce = solve(challenge, 12)
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()

    assert leading_zero_bits(digest) >= 12
    assert solves(challenge, nonce, 12)
    assert solves(challenge, "anything", 0)
    wrong = next(str(n) for n in range(10_000) if not solves(challenge, str(n), 12))
    assert not solves(challenge, wrong, 12)
    assert not solves(challenge, "9" * 65, 0)


def test_eta_grows_with_the_position() -> None:
    assert eta_seconds(0, 0.5) == 1
    assert eta_seconds(9, 0.5) == 5
    assert eta_seconds(3, 0) == 0


def test_milliseconds_round_trip() -> None:
    moment = datetime(2026, 12, 24, 10, 0, 0, tzinfo=UTC)
    assert from_ms(to_ms(moment)) == moment


def _event(**changes: object) -> QueueEvent:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "id": "e", "organizer_id": "o", "sale_opens_at": now, "sale_closes_at": now
        + timedelta(hours=1), "status": "on_sale", "enabled": True, "max_active": 10,
        "admit_per_second": 5.0, "epoch": 1, "commitment": "c", "drawn": False,
    }  # fmt: skip
    values.update(changes)
    return QueueEvent(**values)  # type: ignore[arg-type]


def test_canceled_and_disabled_rooms_take_nobody() -> None:
    _event().check_joinable()
    with pytest.raises(QueueClosed):
        _event(status="canceled").check_joinable()
    with pytest.raises(QueueDisabled):
        _event(enabled=False).check_joinable()
    assert _event(status="canceled").closed(datetime.now(UTC))
    assert _event().pre_queue_opens_at(timedelta(hours=1)) < _event().sale_opens_at


def test_settings_use_their_documented_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKETI_QUEUE_KEY", "a-real-secret")
    monkeypatch.setenv("TIKETI_QUEUE_POW_DIFFICULTY", "18")
    monkeypatch.setenv("TIKETI_QUEUE_TICK_SECONDS", "0.5")
    monkeypatch.setenv("TIKETI_QUEUE_JOIN_PER_IP_PER_MINUTE", "600")

    settings = QueueSettings()

    assert settings.queue_key.get_secret_value() == "a-real-secret"
    assert settings.pow_difficulty == 18 and settings.tick_seconds == 0.5
    assert settings.join_per_ip_per_minute == 600
    defaults = QueueSettings(_env_file=None)  # type: ignore[call-arg]
    assert defaults.admission_seconds == 600 and defaults.pre_queue_seconds == 3600


def test_production_refuses_the_default_key() -> None:
    production = PlatformSettings(env="production")
    with pytest.raises(InsecureSettingsError, match="TIKETI_QUEUE_KEY"):
        build(production, QueueSettings(queue_key=SecretStr("dev-insecure-queue-key")))
    module = build(production, QueueSettings(queue_key=SecretStr("a-real-secret")))
    assert module.router is not None
    paths = {route.path for route in module.router.routes if isinstance(route, APIRoute)}
    assert paths == {
        "/api/v1/queue/{event_id}/join",
        "/api/v1/queue/{event_id}/status",
        "/api/v1/queue/{event_id}",
        "/api/v1/queue/{event_id}/challenge",
        "/api/v1/queue/{event_id}/fairness",
    }

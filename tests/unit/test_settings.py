"""Settings: the TIKETI_ prefix, PORT, and production's refusal of default secrets."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tiketi.kernel.settings import (
    InsecureSettingsError,
    PlatformSettings,
    refuse_default_secrets,
)


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKETI_DATABASE_URL", "postgresql://db/x")
    monkeypatch.setenv("PORT", "4100")
    monkeypatch.setenv("TIKETI_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = PlatformSettings()
    assert settings.database_url == "postgresql://db/x"
    assert settings.port == 4100
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_defaults_are_the_embedded_development_mode() -> None:
    settings = PlatformSettings()
    assert settings.database_url is None and settings.redis_url is None
    assert settings.port == 3001
    assert settings.env == "development"


def test_production_refuses_default_and_missing_secrets() -> None:
    prod = PlatformSettings(env="production")
    with pytest.raises(InsecureSettingsError, match="TIKETI_QUEUE_KEY, TIKETI_X"):
        refuse_default_secrets(
            prod, {"TIKETI_X": None, "TIKETI_QUEUE_KEY": SecretStr("dev-insecure-queue")}
        )
    refuse_default_secrets(prod, {"TIKETI_X": SecretStr("a-real-generated-value")})


def test_development_accepts_default_secrets() -> None:
    refuse_default_secrets(PlatformSettings(), {"TIKETI_X": None})


def test_the_pool_grows_with_the_services_a_process_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = PlatformSettings()
    assert defaults.pool_sizes(1) == (10, 10)  # one service per pod
    assert defaults.pool_sizes(7) == (20, 20)  # the one-process mode
    monkeypatch.setenv("TIKETI_DB_POOL_SIZE", "5")
    monkeypatch.setenv("TIKETI_DB_MAX_OVERFLOW", "0")
    assert PlatformSettings().pool_sizes(7) == (5, 0)  # what the operator says wins

"""Building the module: settings from the environment, production's refusal of a missing key."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from tiketi.kernel.settings import InsecureSettingsError, PlatformSettings
from tiketi.services.auth.adapters.keys import KeyPair, SigningKeyError
from tiketi.services.auth.module import build
from tiketi.services.auth.settings import GOOGLE_JWKS_URL, AuthSettings


def test_defaults() -> None:
    settings = AuthSettings()

    assert settings.access_token_seconds == 900
    assert settings.refresh_token_days == 30
    assert settings.signing_key is None
    assert settings.google_client_id is None
    assert settings.google_jwks_url == GOOGLE_JWKS_URL


def test_google_settings_use_their_documented_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKETI_GOOGLE_CLIENT_ID", "web.apps.googleusercontent.com")
    monkeypatch.setenv("TIKETI_GOOGLE_JWKS_URL", "http://127.0.0.1:9/certs")
    monkeypatch.setenv("TIKETI_AUTH_LOGIN_PER_EMAIL_PER_MINUTE", "3")

    settings = AuthSettings()

    assert settings.google_client_id == "web.apps.googleusercontent.com"
    assert settings.google_jwks_url == "http://127.0.0.1:9/certs"
    assert settings.login_per_email_per_minute == 3


def test_the_module_shape() -> None:
    module = build(PlatformSettings(env="test"), AuthSettings())

    assert module.name == "auth" and module.schema == "auth" and module.outbox
    assert module.migrations is not None and (module.migrations / "env.py").exists()
    assert "jwks" in module.exports
    assert len(module.startup) == 1


def test_production_refuses_to_start_without_a_signing_key() -> None:
    production = PlatformSettings(env="production")

    with pytest.raises(InsecureSettingsError, match="TIKETI_AUTH_SIGNING_KEY"):
        build(production, AuthSettings())
    build(production, AuthSettings(signing_key=SecretStr(KeyPair.generate().to_pem())))


def test_a_malformed_signing_key_fails_at_build_time() -> None:
    with pytest.raises(SigningKeyError):
        build(
            PlatformSettings(env="test"), AuthSettings(signing_key=SecretStr("-----BEGIN nonsense"))
        )


async def test_the_jwks_export_serves_the_configured_key_after_start_up() -> None:
    key = KeyPair.generate()
    module = build(PlatformSettings(env="test"), AuthSettings(signing_key=SecretStr(key.to_pem())))

    assert await module.exports["jwks"]() == {"keys": []}
    # A configured key needs no database: the hook never opens the unit of work.
    runtime = SimpleNamespace(db=SimpleNamespace(sessions=None))
    await module.startup[0](runtime)  # type: ignore[arg-type]

    document = await module.exports["jwks"]()
    assert [entry["kid"] for entry in document["keys"]] == [key.kid]

"""Auth's own settings (TIKETI_AUTH_…; Google's under TIKETI_GOOGLE_…), read once per process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"


class AuthSettings(BaseSettings):
    """Token lifetimes, the signing key, login limits, password hashing cost and Google sign-in."""

    model_config = SettingsConfigDict(
        env_prefix="TIKETI_AUTH_", extra="ignore", frozen=True, populate_by_name=True
    )

    access_token_seconds: int = Field(default=900, ge=30, le=24 * 3600)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    # PEM of an EC P-256 private key. Unset outside production: one is generated on first
    # start and kept in the auth schema, so restarts and every replica share it.
    signing_key: SecretStr | None = None
    # Per-IP is generous because a flash sale brings whole offices and carrier NATs at once;
    # per-email is tight because that is what a password-guessing attack needs.
    login_per_ip_per_minute: int = Field(default=30, ge=1)
    login_per_email_per_minute: int = Field(default=5, ge=1)
    # argon2id cost: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
    password_time_cost: int = Field(default=2, ge=1)
    password_memory_kib: int = Field(default=19 * 1024, ge=8 * 1024)
    password_parallelism: int = Field(default=1, ge=1)
    # How many hashes may run at once per process (each holds memory_kib of RAM).
    password_hash_concurrency: int = Field(default=4, ge=1)
    google_client_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TIKETI_GOOGLE_CLIENT_ID", "google_client_id"),
    )
    google_jwks_url: str = Field(
        default=GOOGLE_JWKS_URL,
        validation_alias=AliasChoices("TIKETI_GOOGLE_JWKS_URL", "google_jwks_url"),
    )


@lru_cache(maxsize=1)
def get_settings() -> AuthSettings:
    """Read auth's settings once per process."""
    return AuthSettings()

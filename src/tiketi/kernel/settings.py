"""Platform settings shared by every service, read once from the environment."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# Values that ship in the repository and so must never guard production.
DEV_SECRET_PREFIX = "dev-insecure-"  # noqa: S105 - the marker of unsafe values


class InsecureSettingsError(ValueError):
    """A production process was started with a default or missing secret."""


class PlatformSettings(BaseSettings):
    """Settings every service reads: where the engines are, how to serve, how to observe."""

    model_config = SettingsConfigDict(env_prefix="TIKETI_", extra="ignore", frozen=True)

    env: Environment = "development"
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=3001, validation_alias=AliasChoices("PORT", "TIKETI_PORT"))
    var_dir: Path = Path("var")
    # Comma-separated in the environment (a JSON list works too).
    cors_origins: Annotated[list[str], NoDecode] = [
        "http://localhost:5173",
        "http://127.0.0.1:5173",
    ]
    # `tiketi serve` worker processes sharing the port (one event loop is one core; a pod on
    # Kubernetes keeps 1 and scales by replicas).
    workers: int = Field(default=1, ge=1, le=64)
    # Allocations between collections of the youngest generation in a served process
    # (kernel/tuning.py; Python's default is 700, 0 keeps it).
    gc_threshold: int = Field(default=50_000, ge=0)
    log_level: str = "INFO"
    log_json: bool = True
    # The built web app (web/dist) served at `/` by the edge; unset: the repository's web/dist.
    web_dist: Path | None = None
    max_body_bytes: int = 1024 * 1024
    # multipart/form-data (poster uploads) may be larger: a 5 MiB file plus its framing.
    max_upload_bytes: int = 5 * 1024 * 1024 + 64 * 1024
    trusted_proxy_hops: int = 0
    rate_limit_per_minute: int = 1200
    # Unset: 10 (+10 overflow) for a process serving one service, 20 (+20) for several (the
    # one-process mode runs seven services' requests, relays and consumers on one pool).
    db_pool_size: int | None = Field(default=None, ge=1, le=500)
    db_max_overflow: int | None = Field(default=None, ge=0, le=500)
    db_timeout_seconds: float = 5.0
    redis_timeout_seconds: float = 2.0
    # On SIGTERM, /ready answers 503 this long before the server stops listening (kernel/drain).
    drain_seconds: float = Field(default=0.0, ge=0, le=300)
    # Signs the short-lived tokens services call each other with (kernel/service_tokens.py).
    service_key: SecretStr = SecretStr("dev-insecure-service-key")
    jwt_issuer: str = "tiketi"
    jwt_audience: str = "tiketi"
    jwks_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TIKETI_JWKS_URL", "TIKETI_AUTH_JWKS_URL")
    )
    otel_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    otel_service_name: str = Field(
        default="tiketi", validation_alias=AliasChoices("OTEL_SERVICE_NAME")
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    def pool_sizes(self, services: int) -> tuple[int, int]:
        """(pool size, overflow) of a process's engine serving `services` services."""
        default = 10 if services <= 1 else 20
        size = default if self.db_pool_size is None else self.db_pool_size
        overflow = default if self.db_max_overflow is None else self.db_max_overflow
        return size, overflow

    @property
    def is_production(self) -> bool:
        """True when default secrets must be refused."""
        return self.env == "production"


def refuse_default_secrets(
    settings: PlatformSettings, secrets: dict[str, SecretStr | str | None]
) -> None:
    """Raise when production runs with a missing secret or one that ships in the repository."""
    if not settings.is_production:
        return
    bad = []
    for name, value in secrets.items():
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not raw or raw.startswith(DEV_SECRET_PREFIX):
            bad.append(name)
    if bad:
        raise InsecureSettingsError(
            "production refuses default or missing secrets: set " + ", ".join(sorted(bad))
        )


@lru_cache(maxsize=1)
def get_settings() -> PlatformSettings:
    """Read the platform settings once per process."""
    return PlatformSettings()

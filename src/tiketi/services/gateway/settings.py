"""The gateway's own settings: where each service listens and how long to wait for it."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """One base URL per service (unset: that area answers 503) and the upstream client's limits."""

    model_config = SettingsConfigDict(env_prefix="TIKETI_GATEWAY_", extra="ignore", frozen=True)

    auth_url: str | None = None
    catalog_url: str | None = None
    queue_url: str | None = None
    booking_url: str | None = None
    payment_url: str | None = None
    stats_url: str | None = None
    notify_url: str | None = None
    connect_timeout_seconds: float = Field(default=2.0, gt=0)
    # Long enough for a payment confirmation that waits on TossPayments.
    read_timeout_seconds: float = Field(default=30.0, gt=0)
    max_connections: int = Field(default=200, ge=1)
    max_keepalive_connections: int = Field(default=50, ge=0)

    @field_validator(
        "auth_url",
        "catalog_url",
        "queue_url",
        "booking_url",
        "payment_url",
        "stats_url",
        "notify_url",
    )
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = value.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError("a service URL starts with http:// or https://")
        return url

    def url_for(self, service: str) -> str | None:
        """The base URL of `service`, or None when this gateway does not know where it runs."""
        value = getattr(self, f"{service}_url", None)
        return value if isinstance(value, str) else None


@lru_cache(maxsize=1)
def get_settings() -> GatewaySettings:
    """Read the gateway settings once per process."""
    return GatewaySettings()

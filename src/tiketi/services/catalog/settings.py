"""Catalog's own settings (TIKETI_CATALOG_…; S3's under TIKETI_S3_…), read once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CatalogSettings(BaseSettings):
    """Poster storage (local files or S3) and read caching."""

    model_config = SettingsConfigDict(
        env_prefix="TIKETI_CATALOG_", extra="ignore", frozen=True, populate_by_name=True
    )

    # Unset: <TIKETI_VAR_DIR>/media. Files there are served at media_base_url by this service.
    media_dir: Path | None = None
    media_base_url: str = "/media"
    # A bucket switches posters to S3; the public URL may be a CDN (e.g. CloudFront) domain.
    s3_bucket: str | None = Field(
        default=None, validation_alias=AliasChoices("TIKETI_S3_BUCKET", "s3_bucket")
    )
    s3_region: str | None = Field(
        default=None, validation_alias=AliasChoices("TIKETI_S3_REGION", "s3_region")
    )
    s3_endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TIKETI_S3_ENDPOINT_URL", "s3_endpoint_url")
    )
    s3_public_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TIKETI_S3_PUBLIC_URL", "s3_public_url")
    )
    s3_prefix: str = Field(
        default="posters/", validation_alias=AliasChoices("TIKETI_S3_PREFIX", "s3_prefix")
    )
    # Caches are invalidated on every change; the TTLs only bound memory and a lost invalidation.
    event_cache_seconds: int = Field(default=30, ge=1, le=3600)
    list_cache_seconds: int = Field(default=10, ge=1, le=3600)
    # Venues never change once created, so their layouts may be kept long.
    venue_cache_seconds: int = Field(default=3600, ge=1, le=86400)
    # Concurrent Redis reads per process for the hot read paths (below the client's pool size).
    cache_concurrency: int = Field(default=64, ge=1, le=1000)

    def media_root(self, var_dir: Path) -> Path:
        """Where local posters are kept."""
        return self.media_dir if self.media_dir is not None else var_dir / "media"


@lru_cache(maxsize=1)
def get_settings() -> CatalogSettings:
    """Read catalog's settings once per process."""
    return CatalogSettings()

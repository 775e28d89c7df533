"""The catalog service as a module of the platform: router, schema, outbox, poster storage."""

from __future__ import annotations

from pathlib import Path

from tiketi.kernel.module import ServiceModule
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.catalog.adapters.orm import SCHEMA
from tiketi.services.catalog.adapters.storage import build_storage
from tiketi.services.catalog.api.deps import CatalogDeps
from tiketi.services.catalog.api.routes import build_router
from tiketi.services.catalog.settings import CatalogSettings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def build(platform: PlatformSettings, settings: CatalogSettings | None = None) -> ServiceModule:
    """The catalog module; posters go to S3 when a bucket is set, else under var/media."""
    settings = settings or get_settings()
    deps = CatalogDeps(settings=settings, storage=build_storage(settings, platform))
    return ServiceModule(
        name="catalog",
        router=build_router(deps),
        schema=SCHEMA,
        migrations=MIGRATIONS,
        outbox=True,
    )

"""Building the module: settings from the environment, the media route with local storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from tiketi.kernel.settings import PlatformSettings
from tiketi.services.catalog.module import build
from tiketi.services.catalog.settings import CatalogSettings


def paths(settings: CatalogSettings) -> set[str]:
    module = build(PlatformSettings(env="test"), settings)
    assert module.router is not None
    return {route.path for route in module.router.routes if isinstance(route, APIRoute)}


def test_defaults(tmp_path: Path) -> None:
    settings = CatalogSettings()

    assert settings.media_dir is None and settings.media_base_url == "/media"
    assert settings.media_root(tmp_path) == tmp_path / "media"
    assert settings.s3_bucket is None and settings.s3_prefix == "posters/"


def test_s3_settings_use_their_documented_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKETI_S3_BUCKET", "tiketi-posters")
    monkeypatch.setenv("TIKETI_S3_REGION", "ap-northeast-2")
    monkeypatch.setenv("TIKETI_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("TIKETI_S3_PUBLIC_URL", "https://cdn.example.com")
    monkeypatch.setenv("TIKETI_S3_PREFIX", "p/")
    monkeypatch.setenv("TIKETI_CATALOG_MEDIA_BASE_URL", "/files")
    monkeypatch.setenv("TIKETI_CATALOG_EVENT_CACHE_SECONDS", "5")

    settings = CatalogSettings()

    assert settings.s3_bucket == "tiketi-posters" and settings.s3_region == "ap-northeast-2"
    assert settings.s3_endpoint_url == "http://127.0.0.1:9000"
    assert settings.s3_public_url == "https://cdn.example.com" and settings.s3_prefix == "p/"
    assert settings.media_base_url == "/files" and settings.event_cache_seconds == 5


def test_the_module_shape_and_its_routes(tmp_path: Path) -> None:
    module = build(PlatformSettings(env="test"), CatalogSettings(media_dir=tmp_path))

    assert module.name == "catalog" and module.schema == "catalog" and module.outbox
    assert module.migrations is not None and (module.migrations / "env.py").exists()
    assert {
        "/api/v1/venues",
        "/api/v1/venues/{id}",
        "/api/v1/events",
        "/api/v1/events/{id}",
        "/api/v1/events/{id}/publish",
        "/api/v1/events/{id}/cancel",
        "/api/v1/events/{id}/image",
        "/media/{key:path}",
    } <= paths(CatalogSettings(media_dir=tmp_path))


def test_posters_in_s3_are_not_served_by_the_app() -> None:
    assert "/media/{key:path}" not in paths(
        CatalogSettings(s3_bucket="b", s3_region="ap-northeast-2")
    )

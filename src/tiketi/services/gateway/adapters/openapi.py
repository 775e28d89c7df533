"""The split gateway publishes one API document: the union of its services' /openapi.json."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import structlog

from tiketi.kernel.runtime import Runtime
from tiketi.services.gateway.adapters.proxy import HttpProxy
from tiketi.services.gateway.domain.routing import SERVICES

log = structlog.get_logger("tiketi.gateway")

# Clients generate types from this document; a short cache spares the services a fetch per
# request while a redeployed service's new operations still appear within seconds.
CACHE_SECONDS = 30.0


def merge(own: dict[str, Any], documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`own` with every service's paths and component schemas added (first definition wins)."""
    merged = {**own, "paths": dict(own.get("paths", {}))}
    schemas: dict[str, Any] = dict(own.get("components", {}).get("schemas", {}))
    for document in documents.values():
        for path, operations in document.get("paths", {}).items():
            merged["paths"].setdefault(path, operations)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            schemas.setdefault(name, schema)
    merged["components"] = {**own.get("components", {}), "schemas": schemas}
    return merged


class OpenApiAggregator:
    """Fetches and merges the services' documents, tolerating services that are down."""

    def __init__(self, proxy: HttpProxy) -> None:
        self.proxy = proxy
        self._cached: dict[str, Any] | None = None
        self._cached_at = 0.0

    async def _fetch(self, service: str, base: str) -> dict[str, Any] | None:
        try:
            response = await self.proxy.client.get(base.rstrip("/") + "/openapi.json")
            response.raise_for_status()
            document: dict[str, Any] = response.json()
            return document
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("openapi_unavailable", service=service, error=type(exc).__name__)
            return None

    async def document(self, _: Runtime, own: dict[str, Any]) -> dict[str, Any]:
        """The merged document (a ServiceModule.openapi hook)."""
        if self._cached is not None and time.monotonic() - self._cached_at < CACHE_SECONDS:
            return self._cached
        targets = {
            service: base
            for service in SERVICES
            if (base := self.proxy.settings.url_for(service)) is not None
        }
        fetched = await asyncio.gather(*(self._fetch(s, b) for s, b in targets.items()))
        documents = {s: d for s, d in zip(targets, fetched, strict=True) if d is not None}
        merged = merge(own, documents)
        missing = sorted(set(targets) - set(documents))
        if missing:
            # Not cached: the next request tries the missing services again.
            merged["x-tiketi-unavailable"] = missing
            return merged
        self._cached, self._cached_at = merged, time.monotonic()
        return merged

"""What the catalog routes need: the module's collaborators and an optional caller."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.deps import get_runtime, require_role
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.singleflight import SingleFlight
from tiketi.kernel.tokens import Principal
from tiketi.services.catalog.adapters.cache import CatalogCache, RedisAvailability
from tiketi.services.catalog.adapters.storage import MediaStorage
from tiketi.services.catalog.domain.sales import AvailabilitySource
from tiketi.services.catalog.settings import CatalogSettings

_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth.")


@dataclass
class CatalogDeps:
    """One catalog module's collaborators, built once by module.build()."""

    settings: CatalogSettings
    storage: MediaStorage
    flights: SingleFlight = field(default_factory=SingleFlight)
    gate: asyncio.Semaphore | None = None

    def _gate(self) -> asyncio.Semaphore:
        # Made on first use, inside the serving event loop.
        if self.gate is None:
            self.gate = asyncio.Semaphore(self.settings.cache_concurrency)
        return self.gate

    def cache(self, runtime: Runtime) -> CatalogCache:
        """The read cache on the process's Redis."""
        return CatalogCache(
            runtime.redis,
            gate=self._gate(),
            event_ttl=self.settings.event_cache_seconds,
            list_ttl=self.settings.list_cache_seconds,
            venue_ttl=self.settings.venue_cache_seconds,
        )

    def availability(self, runtime: Runtime) -> AvailabilitySource:
        """Booking's per-grade counts."""
        return RedisAvailability(runtime.redis, gate=self._gate())


def unit_of_work(runtime: Runtime) -> UnitOfWork:
    """A fresh unit of work on the process's database."""
    return UnitOfWork(runtime.db.sessions)


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller when a bearer token is sent (an invalid one is still 401), else None."""
    if credentials is None:
        return None
    principal = await get_runtime(request).verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


ViewerDep = Annotated[Principal | None, Depends(optional_principal)]
OrganizerDep = Annotated[Principal, Depends(require_role("organizer"))]

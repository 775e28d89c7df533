"""GET /api/v1/stats/events/{id} (its organizer, admins) and /api/v1/stats/overview (admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tiketi.kernel.deps import PrincipalDep, RuntimeDep
from tiketi.services.stats.api.deps import AdminDep, StatsDeps
from tiketi.services.stats.api.schemas import ErrorRead, EventStatsRead, OverviewRead
from tiketi.services.stats.service import reads


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorRead} for status in statuses}


class StatsRoutes:
    """Endpoints bound to one stats module's collaborators."""

    def __init__(self, deps: StatsDeps) -> None:
        self.deps = deps

    async def event(self, id: str, runtime: RuntimeDep, principal: PrincipalDep) -> Any:
        """The event's seats, revenue, occupancy, queue and sales per minute."""
        return await reads.event_stats(
            stats=self.deps.stats(runtime), principal=principal, event_id=id
        )

    async def overview(self, runtime: RuntimeDep, _admin: AdminDep) -> Any:
        """Totals across every event."""
        return await reads.overview(stats=self.deps.stats(runtime))


def build_router(deps: StatsDeps) -> APIRouter:
    """The stats router bound to one module's collaborators."""
    routes = StatsRoutes(deps)
    router = APIRouter(prefix="/api/v1/stats", tags=["stats"])
    router.add_api_route(
        "/events/{id}", routes.event, methods=["GET"], response_model=EventStatsRead,
        responses=_errors(401, 403, 404), summary="An event's live figures",
    )  # fmt: skip
    router.add_api_route(
        "/overview", routes.overview, methods=["GET"], response_model=OverviewRead,
        responses=_errors(401, 403), summary="Totals across events (admins)",
    )  # fmt: skip
    return router

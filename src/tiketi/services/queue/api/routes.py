"""The waiting-room endpoints (API.md "Waiting room")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tiketi.kernel.deps import PrincipalDep, RuntimeDep
from tiketi.kernel.ratelimit import client_ip
from tiketi.services.queue.api.deps import QueueDeps
from tiketi.services.queue.api.schemas import (
    ChallengeRead,
    ErrorRead,
    FairnessRead,
    JoinBody,
    PlaceRead,
)
from tiketi.services.queue.service import joining, opening


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorRead} for status in statuses}


class QueueRoutes:
    """Endpoints bound to one queue module's collaborators."""

    def __init__(self, deps: QueueDeps) -> None:
        self.deps = deps

    async def join(
        self,
        event_id: str,
        request: Request,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        body: JoinBody | None = None,
    ) -> PlaceRead:
        """Take a place in the event's waiting room; joining again returns the same place.
        Before the sale opens, fans land in a pre-queue whose order is drawn fairly at
        opening. A quiet event admits at once (the answer then carries the token)."""
        place = await joining.join(
            queue=self.deps.queue(runtime),
            user_id=principal.id,
            event_id=event_id,
            client_ip=client_ip(request, runtime.settings.trusted_proxy_hops),
            proof=body.pow.domain() if body is not None and body.pow is not None else None,
        )
        return PlaceRead.of(place)

    async def status(
        self, event_id: str, principal: PrincipalDep, runtime: RuntimeDep
    ) -> PlaceRead:
        """The caller's place (for clients without sockets)."""
        place = await joining.status(
            queue=self.deps.queue(runtime), user_id=principal.id, event_id=event_id
        )
        return PlaceRead.of(place)

    async def leave(self, event_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> Response:
        """Leave the line, or give the admission back (the next fan is admitted at once)."""
        await joining.leave(queue=self.deps.queue(runtime), user_id=principal.id, event_id=event_id)
        return Response(status_code=204)

    async def challenge(
        self, event_id: str, principal: PrincipalDep, runtime: RuntimeDep
    ) -> ChallengeRead:
        """A single-use proof-of-work challenge bound to the caller and the event."""
        value = await joining.challenge(
            queue=self.deps.queue(runtime), user_id=principal.id, event_id=event_id
        )
        return ChallengeRead.of(value)

    async def fairness(self, event_id: str, runtime: RuntimeDep) -> FairnessRead:
        """The pre-queue draw: the seed's commitment now; the seed, the anonymised joiners
        and the order once the sale opened, so anyone can recompute the order."""
        view = await opening.fairness(self.deps.queue(runtime), event_id)
        return FairnessRead.of(view)


def build_router(deps: QueueDeps) -> APIRouter:
    """The queue router bound to one module's collaborators."""
    routes = QueueRoutes(deps)
    router = APIRouter(prefix="/api/v1/queue", tags=["queue"])
    router.add_api_route(
        "/{event_id}/join", routes.join, methods=["POST"], response_model=PlaceRead,
        responses=_errors(400, 401, 404, 409, 422, 429), summary="Join the waiting room",
    )  # fmt: skip
    router.add_api_route(
        "/{event_id}/status", routes.status, methods=["GET"], response_model=PlaceRead,
        responses=_errors(401, 404, 409), summary="My place in the waiting room",
    )  # fmt: skip
    router.add_api_route(
        "/{event_id}", routes.leave, methods=["DELETE"], status_code=204,
        responses=_errors(401, 404), summary="Leave the waiting room",
    )  # fmt: skip
    router.add_api_route(
        "/{event_id}/challenge", routes.challenge, methods=["GET"], response_model=ChallengeRead,
        responses=_errors(401, 404, 409), summary="A proof-of-work challenge",
    )  # fmt: skip
    router.add_api_route(
        "/{event_id}/fairness", routes.fairness, methods=["GET"], response_model=FairnessRead,
        responses=_errors(404), summary="The verifiable pre-queue draw",
    )  # fmt: skip
    return router

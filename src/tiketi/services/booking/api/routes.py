"""The seat map, holds and reservations endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from tiketi.kernel.deps import PrincipalDep, RuntimeDep
from tiketi.kernel.idempotency import idempotent
from tiketi.services.booking.api.deps import BookingDeps, ServiceCallerDep
from tiketi.services.booking.api.schemas import (
    ConfirmRead,
    ErrorRead,
    HoldCreate,
    HoldRead,
    ReservationConfirm,
    ReservationCreate,
    ReservationPage,
    ReservationRead,
    SeatMapRead,
)
from tiketi.services.booking.api.tickets import add_ticket_routes
from tiketi.services.booking.service import holds, inventory, reservations

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1–100).")]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the last page.")]
AdmissionHeader = Annotated[
    str | None,
    Header(alias="X-Admission-Token", description="The waiting room's admission, when on."),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="1–255 printable ASCII characters; a repeat with the same key and body "
        "returns the first result (with `Idempotent-Replayed: true`) for 24 hours.",
    ),
]


IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", description="The ETag of the map you have: 304 if current."),
]
AcceptEncoding = Annotated[
    str | None, Header(alias="Accept-Encoding", description="`gzip` for a compressed map.")
]


def _tags(header: str) -> set[str]:
    # Weak comparison (RFC 9110 13.1.2): W/"x" and "x" match.
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _matches(if_none_match: str, etag: str) -> bool:
    tags = _tags(if_none_match)
    return "*" in tags or etag.removeprefix("W/") in tags


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            quality = params.strip().lower().removeprefix("q=")
            return not params or _quality(quality) > 0
    return False


def _quality(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 1.0


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorRead} for status in statuses}


class BookingRoutes:
    """Endpoints bound to one booking module's collaborators."""

    def __init__(self, deps: BookingDeps) -> None:
        self.deps = deps

    async def seat_map(
        self,
        id: str,
        runtime: RuntimeDep,
        if_none_match: IfNoneMatch = None,
        accept_encoding: AcceptEncoding = None,
    ) -> Response:
        """The event's seats with their status, from the versioned snapshot.

        `ETag` names the snapshot: a client that polls with `If-None-Match` gets 304 until the
        map changes. Sent gzip-compressed when the client accepts it.
        """
        snapshot = await inventory.seat_map(booking=self.deps.booking(runtime), event_id=id)
        headers = {"ETag": snapshot.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if if_none_match is not None and _matches(if_none_match, snapshot.etag):
            return Response(status_code=304, headers=headers)
        # Pre-serialised bytes (up to 100,000 seats), sent as they are; the shape is SeatMapRead.
        if accept_encoding is not None and _accepts_gzip(accept_encoding):
            headers["Content-Encoding"] = "gzip"
            return Response(snapshot.gzipped(), media_type="application/json", headers=headers)
        return Response(snapshot.body, media_type="application/json", headers=headers)

    async def create_hold(
        self,
        body: HoldCreate,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        admission: AdmissionHeader = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Hold seats for a few minutes, all or none."""

        async def run() -> tuple[int, HoldRead]:
            hold = await holds.hold_seats(
                booking=self.deps.booking(runtime),
                user_id=principal.id,
                event_id=body.event_id,
                seat_ids=body.seat_ids,
                grade=body.grade,
                quantity=body.quantity,
                admission_token=admission,
            )
            return 201, HoldRead.of(hold)

        return await idempotent(
            runtime.redis, principal_id=principal.id, scope="POST /api/v1/holds",
            key=idempotency_key, body=body, run=run,
        )  # fmt: skip

    async def delete_hold(self, id: str, principal: PrincipalDep, runtime: RuntimeDep) -> Response:
        """Release one's hold; the seats are free at once."""
        await holds.release_hold(
            booking=self.deps.booking(runtime), user_id=principal.id, hold_id=id
        )
        return Response(status_code=204)

    async def create_reservation(
        self,
        body: ReservationCreate,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Turn one's hold into a reservation awaiting payment (idempotent per hold)."""

        async def run() -> tuple[int, ReservationRead]:
            view = await reservations.create_reservation(
                booking=self.deps.booking(runtime), user_id=principal.id, hold_id=body.hold_id
            )
            return 201, ReservationRead.of(view)

        return await idempotent(
            runtime.redis, principal_id=principal.id, scope="POST /api/v1/reservations",
            key=idempotency_key, body=body, run=run,
        )  # fmt: skip

    async def list_reservations(
        self, principal: PrincipalDep, runtime: RuntimeDep, limit: Limit = 20, cursor: Cursor = None
    ) -> ReservationPage:
        """The caller's reservations, newest first."""
        items, next_cursor = await reservations.list_reservations(
            booking=self.deps.booking(runtime), user_id=principal.id, limit=limit, cursor=cursor
        )
        return ReservationPage(
            items=[ReservationRead.of(i) for i in items], next_cursor=next_cursor
        )

    async def get_reservation(
        self, id: str, principal: PrincipalDep, runtime: RuntimeDep
    ) -> ReservationRead:
        """One of the caller's reservations."""
        view = await reservations.get_reservation(
            booking=self.deps.booking(runtime), user_id=principal.id, reservation_id=id
        )
        return ReservationRead.of(view)

    async def cancel_reservation(
        self, id: str, principal: PrincipalDep, runtime: RuntimeDep
    ) -> ReservationRead:
        """Cancel before the event starts; a paid reservation is refunded by payments."""
        view = await reservations.cancel_reservation(
            booking=self.deps.booking(runtime), user_id=principal.id, reservation_id=id
        )
        return ReservationRead.of(view)

    async def confirm_reservation(
        self, id: str, body: ReservationConfirm, caller: ServiceCallerDep, runtime: RuntimeDep
    ) -> ConfirmRead:
        """Internal (admin/service callers): a payment was approved; sell the seats."""
        result = await reservations.confirm_reservation(
            booking=self.deps.booking(runtime),
            reservation_id=id,
            payment_key=body.payment_key,
            amount=body.amount,
        )
        return ConfirmRead(
            outcome=result.outcome.value,
            confirmed=result.confirmed,
            reservation=ReservationRead.of(result.reservation),
        )


def build_router(deps: BookingDeps) -> APIRouter:
    """The booking router bound to one module's collaborators."""
    routes = BookingRoutes(deps)
    router = APIRouter(prefix="/api/v1", tags=["booking"])
    router.add_api_route(
        "/events/{id}/seats", routes.seat_map, methods=["GET"], response_model=SeatMapRead,
        responses={304: {"description": "Not modified: `If-None-Match` names the current map."},
                   **_errors(404)},
        summary="Seat map",
    )  # fmt: skip
    router.add_api_route(
        "/holds", routes.create_hold, methods=["POST"], status_code=201, response_model=HoldRead,
        responses=_errors(401, 403, 404, 409, 422), summary="Hold seats",
    )  # fmt: skip
    router.add_api_route(
        "/holds/{id}", routes.delete_hold, methods=["DELETE"], status_code=204,
        responses=_errors(401, 404, 409), summary="Release a hold",
    )  # fmt: skip
    router.add_api_route(
        "/reservations", routes.create_reservation, methods=["POST"], status_code=201,
        response_model=ReservationRead, responses=_errors(401, 404, 409, 410, 422),
        summary="Reserve a hold",
    )  # fmt: skip
    router.add_api_route(
        "/reservations", routes.list_reservations, methods=["GET"],
        responses=_errors(401), summary="My reservations",
    )  # fmt: skip
    router.add_api_route(
        "/reservations/{id}", routes.get_reservation, methods=["GET"],
        responses=_errors(401, 404), summary="A reservation",
    )  # fmt: skip
    router.add_api_route(
        "/reservations/{id}/cancel", routes.cancel_reservation, methods=["POST"],
        responses=_errors(401, 404, 409), summary="Cancel a reservation",
    )  # fmt: skip
    router.add_api_route(
        "/reservations/{id}/confirm", routes.confirm_reservation, methods=["POST"],
        responses=_errors(401, 403, 404), summary="Confirm a paid reservation (internal)",
    )  # fmt: skip
    add_ticket_routes(router, deps)
    return router

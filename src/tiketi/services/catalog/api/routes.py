"""The /api/v1/venues and /api/v1/events endpoints, and local poster files at /media."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.datastructures import Default
from fastapi.responses import FileResponse, JSONResponse, Response

from tiketi.kernel.deps import PrincipalDep, RuntimeDep
from tiketi.kernel.errors import NotFound
from tiketi.services.catalog.adapters.storage import LocalStorage
from tiketi.services.catalog.api.deps import CatalogDeps, OrganizerDep, ViewerDep, unit_of_work
from tiketi.services.catalog.api.schemas import (
    ErrorRead,
    EventCancel,
    EventCreate,
    EventPage,
    EventRead,
    EventUpdate,
    ImageRead,
    VenueCreate,
    VenuePage,
    VenueRead,
)
from tiketi.services.catalog.domain.errors import InvalidInput
from tiketi.services.catalog.domain.events import EventSpec, EventStatus
from tiketi.services.catalog.domain.images import MAX_IMAGE_BYTES, ImageTooLarge
from tiketi.services.catalog.service import events, posters, reads, venues
from tiketi.services.catalog.service.common import utcnow

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1–100).")]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the last page.")]
_MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorRead} for status in statuses}


def _json(document: str, status: int = 200) -> Response:
    # Venue documents are cached as JSON text and can hold 100,000 seats: sent as they are
    # (their shape is VenueRead, declared on the route for the OpenAPI document).
    return Response(document, status_code=status, media_type="application/json")


# Routes that answer pre-serialised JSON, with the model that describes it.
_RAW_JSON_MODELS: dict[str, type[VenueRead]] = {"create_venue": VenueRead, "get_venue": VenueRead}


class CatalogRoutes:
    """Endpoints bound to one catalog module's collaborators."""

    def __init__(self, deps: CatalogDeps) -> None:
        self.deps = deps

    async def create_venue(
        self, body: VenueCreate, organizer: OrganizerDep, runtime: RuntimeDep
    ) -> Response:
        """Create a venue with its seat layout (organizers and admins)."""
        document = await venues.create_venue(
            uow=unit_of_work(runtime),
            cache=self.deps.cache(runtime),
            actor=organizer,
            name=body.name,
            address=body.address,
            sections=[section.draft() for section in body.sections],
        )
        return _json(document, 201)

    async def get_venue(self, id: str, runtime: RuntimeDep) -> Response:
        """A venue with its layout and seat ids."""
        document = await venues.venue_json(
            uow=unit_of_work(runtime),
            cache=self.deps.cache(runtime),
            flights=self.deps.flights,
            venue_id=id,
        )
        return _json(document)

    async def list_venues(
        self,
        runtime: RuntimeDep,
        q: Annotated[str | None, Query(max_length=100)] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> VenuePage:
        """Venues, newest first; `q` matches name or address."""
        page = await venues.list_venues(uow=unit_of_work(runtime), q=q, cursor=cursor, limit=limit)
        return VenuePage.model_validate(page)

    async def create_event(
        self, body: EventCreate, organizer: OrganizerDep, runtime: RuntimeDep
    ) -> EventRead:
        """Create a draft event (organizers and admins)."""
        spec = EventSpec(
            title=body.title,
            description=body.description,
            venue_id=body.venue_id,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            sale_opens_at=body.sale_opens_at,
            sale_closes_at=body.sale_closes_at,
            grades=tuple(grade.domain() for grade in body.grades),
            seat_grades=body.seat_grades,
            max_tickets_per_user=body.max_tickets_per_user,
            queue=body.queue.domain(),
        )
        document = await events.create_event(
            uow=unit_of_work(runtime), cache=self.deps.cache(runtime), actor=organizer, spec=spec
        )
        return await self._present(runtime, document)

    async def update_event(
        self, id: str, body: EventUpdate, principal: PrincipalDep, runtime: RuntimeDep
    ) -> EventRead:
        """Change an event (its organizer or an admin)."""
        document = await events.update_event(
            uow=unit_of_work(runtime),
            cache=self.deps.cache(runtime),
            actor=principal,
            event_id=id,
            changes=body.changes(),
            now=utcnow(),
        )
        return await self._present(runtime, document)

    async def publish_event(
        self, id: str, principal: PrincipalDep, runtime: RuntimeDep
    ) -> EventRead:
        """Publish a draft: its seat inventory is created from this moment."""
        document = await events.publish_event(
            uow=unit_of_work(runtime),
            cache=self.deps.cache(runtime),
            actor=principal,
            event_id=id,
            now=utcnow(),
        )
        return await self._present(runtime, document)

    async def cancel_event(
        self,
        id: str,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        body: EventCancel | None = None,
    ) -> EventRead:
        """Cancel an event; paid reservations of a published one are refunded."""
        document = await events.cancel_event(
            uow=unit_of_work(runtime),
            cache=self.deps.cache(runtime),
            actor=principal,
            event_id=id,
            reason=body.reason if body else None,
            now=utcnow(),
        )
        return await self._present(runtime, document)

    async def upload_image(
        self,
        id: str,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        file: Annotated[UploadFile, File(description="A JPEG, PNG or WebP image, ≤ 5 MiB.")],
    ) -> ImageRead:
        """Upload the event's poster (its organizer or an admin)."""
        data = await file.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise ImageTooLarge(details={"file": "too large", "max_bytes": MAX_IMAGE_BYTES})
        url = await posters.upload_poster(
            uow=unit_of_work(runtime),
            cache=self.deps.cache(runtime),
            storage=self.deps.storage,
            actor=principal,
            event_id=id,
            data=data,
            now=utcnow(),
        )
        return ImageRead(url=url)

    async def get_event(self, id: str, viewer: ViewerDep, runtime: RuntimeDep) -> EventRead:
        """An event with live sale_state and per-grade availability."""
        document = await reads.event_detail(
            uow=unit_of_work(runtime),
            cache=self.deps.cache(runtime),
            flights=self.deps.flights,
            availability=self.deps.availability(runtime),
            viewer=viewer,
            event_id=id,
            now=utcnow(),
        )
        return EventRead.model_validate(document)

    async def list_events(
        self,
        viewer: ViewerDep,
        runtime: RuntimeDep,
        q: Annotated[
            str | None, Query(max_length=100, description="Words of the title or venue.")
        ] = None,
        status: Annotated[
            EventStatus | None, Query(description="Default: published. Drafts: your own.")
        ] = None,
        mine: Annotated[bool, Query(description="Only your events (any status).")] = False,
        venue_id: Annotated[str | None, Query()] = None,
        starts_from: Annotated[datetime | None, Query(alias="from")] = None,
        starts_to: Annotated[datetime | None, Query(alias="to")] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> EventPage:
        """Events by start time, filtered; cursor-paginated."""
        query = reads.EventQuery(
            q=q,
            status=status,
            mine=mine,
            venue_id=_uuid_query("venue_id", venue_id),
            starts_from=_aware("from", starts_from),
            starts_to=_aware("to", starts_to),
            limit=limit,
            cursor=cursor,
        )
        page = await reads.list_events(
            uow=unit_of_work(runtime),
            cache=self.deps.cache(runtime),
            flights=self.deps.flights,
            availability=self.deps.availability(runtime),
            viewer=viewer,
            query=query,
            now=utcnow(),
        )
        return EventPage.model_validate(page)

    async def _present(self, runtime: RuntimeDep, document: dict[str, Any]) -> EventRead:
        presented = await reads.present(
            document, availability=self.deps.availability(runtime), now=utcnow()
        )
        return EventRead.model_validate(presented)


def _uuid_query(name: str, value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput({name: "must be a UUID"}) from exc


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise InvalidInput({name: "must carry a UTC offset (e.g. 2026-12-24T00:00:00+09:00)"})
    return value


def add_media_route(router: APIRouter, storage: LocalStorage, base_url: str) -> None:
    """Serve locally stored posters at base_url (only when the storage is local files)."""

    async def media(key: str) -> FileResponse:
        try:
            path = storage.path_for(key)
        except ValueError as exc:
            raise NotFound() from exc
        if not path.is_file():
            raise NotFound()
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES.get(PurePosixPath(key).suffix, "application/octet-stream"),
            headers={
                # Keys are new for every upload, so a URL's bytes never change.
                "Cache-Control": "public, max-age=31536000, immutable",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'",
            },
        )

    router.add_api_route(
        base_url.rstrip("/") + "/{key:path}",
        media,
        methods=["GET"],
        summary="A poster image stored on this server",
        responses=_errors(404),
        operation_id="catalog_media",
        include_in_schema=False,
    )


# path, endpoint name, method, status, summary, documented error statuses.
_ROUTES: tuple[tuple[str, str, str, int, str, tuple[int, ...]], ...] = (
    ("/api/v1/venues", "create_venue", "POST", 201, "Create a venue", (401, 403, 422)),
    ("/api/v1/venues", "list_venues", "GET", 200, "List venues", (422,)),
    ("/api/v1/venues/{id}", "get_venue", "GET", 200, "A venue with its layout", (404,)),
    ("/api/v1/events", "create_event", "POST", 201, "Create a draft event", (401, 403, 422)),
    ("/api/v1/events", "list_events", "GET", 200, "List and search events", (401, 422)),
    ("/api/v1/events/{id}", "get_event", "GET", 200, "An event", (401, 404)),
    (
        "/api/v1/events/{id}",
        "update_event",
        "PATCH",
        200,
        "Change an event",
        (401, 403, 404, 409, 422),
    ),
    (
        "/api/v1/events/{id}/publish",
        "publish_event",
        "POST",
        200,
        "Publish a draft event",
        (401, 403, 404, 409, 422),
    ),
    (
        "/api/v1/events/{id}/cancel",
        "cancel_event",
        "POST",
        200,
        "Cancel an event",
        (401, 403, 404, 422),
    ),
    (
        "/api/v1/events/{id}/image",
        "upload_image",
        "POST",
        201,
        "Upload the event's poster",
        (401, 403, 404, 409, 413, 415, 422),
    ),
)


def build_router(deps: CatalogDeps) -> APIRouter:
    """The catalog router, bound to the module's collaborators."""
    routes = CatalogRoutes(deps)
    router = APIRouter(tags=["catalog"])
    for path, name, method, status, summary, errors in _ROUTES:
        router.add_api_route(
            path,
            getattr(routes, name),
            methods=[method],
            status_code=status,
            response_class=JSONResponse,
            summary=summary,
            responses=_errors(*errors),
            operation_id=f"catalog_{name}",
            # None (the default) takes the model from the endpoint's return annotation.
            response_model=_RAW_JSON_MODELS.get(name, Default(None)),
        )
    storage = deps.storage
    base_url = deps.settings.media_base_url
    if isinstance(storage, LocalStorage) and base_url.startswith("/"):
        add_media_route(router, storage, base_url)
    return router

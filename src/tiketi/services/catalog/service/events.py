"""Event use cases: create a draft, change it, publish it, cancel it.

Every writer of an event takes its row lock first (SELECT … FOR UPDATE), so a publish and a
PATCH of one event run one after the other: a PATCH that changes grades either lands before
the publish (which then publishes the new grades) or sees the event published and is refused.
Caches are invalidated after the commit, by version (see adapters/cache.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import structlog

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.errors import Forbidden
from tiketi.kernel.outbox import publish
from tiketi.kernel.tokens import Principal
from tiketi.services.catalog.adapters.cache import CatalogCache
from tiketi.services.catalog.adapters.events import EventRepository
from tiketi.services.catalog.adapters.orm import SCHEMA, Event, Venue
from tiketi.services.catalog.adapters.venues import VenueRepository
from tiketi.services.catalog.domain.errors import (
    EventIsCanceled,
    EventIsPublished,
    EventNotFound,
    InvalidInput,
)
from tiketi.services.catalog.domain.events import (
    INVENTORY_FIELDS,
    EventSpec,
    can_manage,
    changed_fields,
    check_event,
)
from tiketi.services.catalog.domain.search import normalise_text
from tiketi.services.catalog.service import messages
from tiketi.services.catalog.service.common import actor_id, is_admin, parse_id
from tiketi.services.catalog.service.documents import Document, event_document

log = structlog.get_logger("tiketi.catalog")


async def _venue_for(venues: VenueRepository, spec: EventSpec) -> tuple[Venue, list[str]]:
    venue = await venues.get(spec.venue_id)
    if venue is None:
        raise InvalidInput({"venue_id": "no venue has this id"})
    return venue, await venues.section_names(venue.id)


def _search_text(spec: EventSpec, venue: Venue) -> str:
    return normalise_text(spec.title, venue.name, venue.address)


async def _document(events: EventRepository, event_id: uuid.UUID) -> Document:
    row = await events.read(event_id)
    if row is None:
        raise EventNotFound()
    return event_document(row)


async def create_event(
    *, uow: UnitOfWork, cache: CatalogCache, actor: Principal, spec: EventSpec
) -> Document:
    """Create a draft event owned by the caller."""
    organizer = actor_id(actor)
    event_id = uuid.uuid4()
    async with uow:
        venue, sections = await _venue_for(VenueRepository(uow.session), spec)
        spec = check_event(spec, sections=sections)
        events = EventRepository(uow.session)
        await events.add(
            event_id=event_id,
            organizer_id=organizer,
            spec=spec,
            search_text=_search_text(spec, venue),
        )
        document = await _document(events, event_id)
        await uow.commit()
    await cache.invalidate_lists()
    log.info("event_created", event_id=str(event_id), organizer_id=str(organizer))
    return document


async def locked_event(events: EventRepository, actor: Principal, key: uuid.UUID) -> Event:
    """The event, row-locked, if the caller may manage it: 404, then 403."""
    event = await events.lock(key)
    if event is None:
        raise EventNotFound()
    if not can_manage(
        organizer_id=str(event.organizer_id), actor_id=actor.id, admin=is_admin(actor)
    ):
        raise Forbidden("Only the event's organizer or an admin may change it.")
    return event


async def update_event(
    *,
    uow: UnitOfWork,
    cache: CatalogCache,
    actor: Principal,
    event_id: str,
    changes: Mapping[str, Any],
    now: datetime,
) -> Document:
    """Change any of an event's settings.

    Canceled events are closed to change (409 EVENT_CANCELED). Published ones keep their
    venue, grades, prices and seat grades (409 EVENT_PUBLISHED naming the fields); their
    title, description, times, sale window, ticket limit and queue may still change, and
    booking is told with EventUpdated.
    """
    key = parse_id(event_id, EventNotFound)
    async with uow:
        events = EventRepository(uow.session)
        event = await locked_event(events, actor, key)
        if event.status == "canceled":
            raise EventIsCanceled()
        current = await events.spec(event)
        proposed = current.with_changes(changes)
        if event.status == "published" and proposed.venue_id != current.venue_id:
            # Said before checking the rest: no layout of another venue could be accepted.
            raise EventIsPublished(fields=["venue_id"])
        venue, sections = await _venue_for(VenueRepository(uow.session), proposed)
        proposed = check_event(proposed, sections=sections)
        changed = changed_fields(current, proposed)
        frozen = [name for name in changed if name in INVENTORY_FIELDS]
        if event.status == "published" and frozen:
            raise EventIsPublished(fields=frozen)
        if changed:
            await events.update(
                event,
                proposed,
                inventory=bool(frozen),
                search_text=_search_text(proposed, venue),
                now=now,
            )
            if event.status == "published":
                await publish(
                    uow.session,
                    SCHEMA,
                    messages.event_updated(event=event, spec=proposed, changed=changed),
                )
        document = await _document(events, key)
        await uow.commit()
    if changed:
        await cache.invalidate_event(key)
        log.info("event_updated", event_id=str(key), changed=changed)
    return document


async def publish_event(
    *, uow: UnitOfWork, cache: CatalogCache, actor: Principal, event_id: str, now: datetime
) -> Document:
    """Put a draft on the market: status and EventPublished commit together, or neither."""
    key = parse_id(event_id, EventNotFound)
    async with uow:
        events = EventRepository(uow.session)
        event = await locked_event(events, actor, key)
        if event.status == "canceled":
            raise EventIsCanceled()
        if event.status == "published":
            raise EventIsPublished("The event is already published.")
        spec = await events.spec(event)
        venues = VenueRepository(uow.session)
        venue, sections = await _venue_for(venues, spec)
        spec = check_event(spec, sections=sections)
        if spec.sale_closes_at <= now:
            raise InvalidInput({"sale_closes_at": "the sale window is over; move it to publish"})
        layout = await venues.layout(venue.id)
        event.status = "published"
        event.published_at = now
        event.updated_at = now
        message = messages.event_published(event=event, venue=venue, spec=spec, layout=layout)
        await publish(uow.session, SCHEMA, message)
        document = await _document(events, key)
        await uow.commit()
    await cache.invalidate_event(key)
    log.info("event_published", event_id=str(key), seats=message.seat_count)
    return document


async def cancel_event(
    *,
    uow: UnitOfWork,
    cache: CatalogCache,
    actor: Principal,
    event_id: str,
    reason: str | None,
    now: datetime,
) -> Document:
    """Cancel an event; a published one emits EventCanceled (booking refunds its sales).

    Canceling a canceled event changes nothing and answers the event as it is.
    """
    key = parse_id(event_id, EventNotFound)
    async with uow:
        events = EventRepository(uow.session)
        event = await locked_event(events, actor, key)
        was = event.status
        if was != "canceled":
            event.status = "canceled"
            event.canceled_at = now
            event.updated_at = now
            event.cancel_reason = reason
            if was == "published":
                message = messages.event_canceled(event=event, reason=reason, now=now)
                await publish(uow.session, SCHEMA, message)
        document = await _document(events, key)
        await uow.commit()
    if was != "canceled":
        await cache.invalidate_event(key)
        log.info("event_canceled", event_id=str(key), was=was)
    return document

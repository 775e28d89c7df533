"""Poster uploads: checked by content, stored through the storage port, then recorded."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import datetime

import structlog

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.outbox import publish
from tiketi.kernel.tokens import Principal
from tiketi.services.catalog.adapters.cache import CatalogCache
from tiketi.services.catalog.adapters.events import EventRepository
from tiketi.services.catalog.adapters.orm import SCHEMA, Event, EventImage
from tiketi.services.catalog.adapters.storage import MediaStorage
from tiketi.services.catalog.domain.errors import EventIsCanceled, EventNotFound
from tiketi.services.catalog.domain.images import sniff_image
from tiketi.services.catalog.service import messages
from tiketi.services.catalog.service.common import actor_id, parse_id
from tiketi.services.catalog.service.events import locked_event

log = structlog.get_logger("tiketi.catalog")


async def _check_manageable(events: EventRepository, actor: Principal, key: uuid.UUID) -> Event:
    event = await locked_event(events, actor, key)
    if event.status == "canceled":
        raise EventIsCanceled()
    return event


async def upload_poster(
    *,
    uow: UnitOfWork,
    cache: CatalogCache,
    storage: MediaStorage,
    actor: Principal,
    event_id: str,
    data: bytes,
    now: datetime,
) -> str:
    """Store a JPEG, PNG or WebP poster and make it the event's image; returns its URL.

    The caller's rights are checked before the bytes are judged, the bytes before anything
    is stored (415/413 store nothing), and a stored file whose recording fails is deleted.
    """
    uploader = actor_id(actor)
    key = parse_id(event_id, EventNotFound)
    async with uow:
        await _check_manageable(EventRepository(uow.session), actor, key)
    # A full decode is CPU work: off the event loop.
    info = await asyncio.to_thread(sniff_image, data)
    image_id = uuid.uuid4()
    # A fresh key per upload, so caches and CDNs may keep every poster URL forever.
    media_key = f"events/{key}/{image_id.hex}.{info.extension}"
    url = await storage.put(media_key, data, info.content_type)
    try:
        async with uow:
            events = EventRepository(uow.session)
            event = await _check_manageable(events, actor, key)
            event.image_url = url
            event.updated_at = now
            await events.add_image(
                EventImage(
                    id=image_id,
                    event_id=key,
                    key=media_key,
                    url=url,
                    content_type=info.content_type,
                    width=info.width,
                    height=info.height,
                    size_bytes=len(data),
                    uploaded_by=uploader,
                )
            )
            if event.status == "published":
                spec = await events.spec(event)
                await publish(
                    uow.session,
                    SCHEMA,
                    messages.event_updated(event=event, spec=spec, changed=["image_url"]),
                )
            await uow.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            await storage.delete(media_key)
        raise
    await cache.invalidate_event(key)
    log.info("poster_uploaded", event_id=event_id, bytes=len(data), kind=info.kind)
    return url

"""Read caching in Redis, and the availability counts booking keeps there.

Invalidation is by version, not only by deletion: every write bumps the event's version key
(and the global list version) after it commits, and a cached document carries the version
that was current *before* its database read. A reader that loaded an old row while a writer
committed stores it under the old version, which no later reader accepts, so a race between
a slow reader and a writer can never leave a stale document in the cache.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("tiketi.catalog")

T = TypeVar("T")

_PREFIX = "catalog:"
_LIST_VERSION = f"{_PREFIX}events:ver"
# Version keys outlive any document they guard (documents live seconds to an hour).
_VERSION_TTL_SECONDS = 86400
AVAILABILITY_KEY = "booking:availability:{event_id}"


def _event_key(event_id: uuid.UUID) -> str:
    return f"{_PREFIX}event:{event_id}"


def _event_version_key(event_id: uuid.UUID) -> str:
    return f"{_PREFIX}event:{event_id}:ver"


def _list_key(params: str) -> str:
    return f"{_PREFIX}events:list:{params}"


def _venue_key(venue_id: uuid.UUID) -> str:
    return f"{_PREFIX}venue:{venue_id}"


class Cached:
    """A cache lookup: the value if fresh, and the version a fresh load must be stored under."""

    __slots__ = ("value", "version")

    def __init__(self, value: Any | None, version: str | None) -> None:
        self.value = value
        self.version = version


class CatalogCache:
    """Event documents, public list pages and venue layouts in Redis.

    Redis failures never fail a read: a lookup that fails is a miss that is not stored.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        gate: asyncio.Semaphore,
        event_ttl: int,
        list_ttl: int,
        venue_ttl: int,
    ) -> None:
        self.redis = redis
        self.gate = gate
        self.event_ttl = event_ttl
        self.list_ttl = list_ttl
        self.venue_ttl = venue_ttl

    async def _lookup(self, key: str, version_key: str) -> Cached:
        try:
            async with self.gate:
                raw, found = await self.redis.mget([key, version_key])
        except RedisError as exc:
            log.warning("catalog_cache_unavailable", error=type(exc).__name__)
            return Cached(None, None)
        version = str(found or "0")
        if raw is None:
            return Cached(None, version)
        entry = json.loads(raw)
        return Cached(entry["value"] if entry.get("v") == version else None, version)

    async def _store(self, key: str, version: str | None, value: Any, ttl: int) -> None:
        if version is None:
            return
        payload = json.dumps({"v": version, "value": value}, separators=(",", ":"))
        try:
            async with self.gate:
                await self.redis.set(key, payload, ex=ttl)
        except RedisError as exc:
            log.warning("catalog_cache_unavailable", error=type(exc).__name__)

    async def event(self, event_id: uuid.UUID) -> Cached:
        """The cached document of an event."""
        return await self._lookup(_event_key(event_id), _event_version_key(event_id))

    async def store_event(self, event_id: uuid.UUID, version: str | None, doc: Any) -> None:
        """Keep an event's document under the version read before it was loaded."""
        await self._store(_event_key(event_id), version, doc, self.event_ttl)

    async def events_page(self, params: str) -> Cached:
        """A cached public list page, keyed by a digest of its query."""
        return await self._lookup(_list_key(params), _LIST_VERSION)

    async def store_events_page(self, params: str, version: str | None, page: Any) -> None:
        """Keep a public list page under the list version read before it was loaded."""
        await self._store(_list_key(params), version, page, self.list_ttl)

    async def venue(self, venue_id: uuid.UUID) -> str | None:
        """A venue's cached JSON document (venues never change, so no version)."""
        try:
            async with self.gate:
                value = await self.redis.get(_venue_key(venue_id))
        except RedisError as exc:
            log.warning("catalog_cache_unavailable", error=type(exc).__name__)
            return None
        return str(value) if value is not None else None

    async def store_venue(self, venue_id: uuid.UUID, document: str) -> None:
        """Keep a venue's JSON document."""
        try:
            async with self.gate:
                await self.redis.set(_venue_key(venue_id), document, ex=self.venue_ttl)
        except RedisError as exc:
            log.warning("catalog_cache_unavailable", error=type(exc).__name__)

    async def invalidate_event(self, event_id: uuid.UUID) -> None:
        """After a committed change: new versions for the event and for every list page."""
        try:
            async with self.gate, self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(_event_version_key(event_id))
                pipe.expire(_event_version_key(event_id), _VERSION_TTL_SECONDS)
                pipe.incr(_LIST_VERSION)
                pipe.expire(_LIST_VERSION, _VERSION_TTL_SECONDS)
                pipe.delete(_event_key(event_id))
                await pipe.execute()
        except RedisError as exc:
            # The TTL bounds how long readers may see the old document.
            log.warning("catalog_cache_invalidation_failed", event_id=str(event_id), error=str(exc))

    async def invalidate_lists(self) -> None:
        """After a change that may add to lists but touches no cached event (a new draft)."""
        try:
            async with self.gate, self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(_LIST_VERSION)
                pipe.expire(_LIST_VERSION, _VERSION_TTL_SECONDS)
                await pipe.execute()
        except RedisError as exc:
            log.warning("catalog_cache_invalidation_failed", error=str(exc))


class RedisAvailability:
    """Booking's per-grade availability, read from the hash it maintains in Redis:
    `booking:availability:{event_id}` = {grade code: seats available}."""

    def __init__(self, redis: Redis, *, gate: asyncio.Semaphore) -> None:
        self.redis = redis
        self.gate = gate

    async def counts(self, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
        """Counts for the events booking reports; none on a Redis failure (all seats then)."""
        if not event_ids:
            return {}
        try:
            async with self.gate, self.redis.pipeline(transaction=False) as pipe:
                for event_id in event_ids:
                    pipe.hgetall(AVAILABILITY_KEY.format(event_id=event_id))
                replies = await pipe.execute()
        except RedisError as exc:
            log.warning("availability_unavailable", error=type(exc).__name__)
            return {}
        counts: dict[uuid.UUID, dict[str, int]] = {}
        for event_id, reply in zip(event_ids, replies, strict=True):
            parsed = {code: int(value) for code, value in reply.items() if _is_int(value)}
            if parsed:
                counts[event_id] = parsed
        return counts


def _is_int(value: str) -> bool:
    return value.lstrip("-").isdigit()

"""The seat map's snapshot and the per-grade availability counts, in Redis.

The snapshot is the finished JSON body of GET /events/{id}/seats, stored with the version it
was built at and the moment its first hold runs out. Writers bump the version in PostgreSQL
and, after commit, raise `booking:seats:{id}:ver` to it (never lower); a reader serves the
snapshot only when its version is the current one and no hold in it has run out, so a lost
Redis write costs a rebuild, never a wrong map for longer than the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TypeVar

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("tiketi.booking")

T = TypeVar("T")

AVAILABILITY_KEY = "booking:availability:{event_id}"
_SNAPSHOT_KEY = "booking:seats:{event_id}"
_VERSION_KEY = "booking:seats:{event_id}:ver"
_VERSION_TTL_SECONDS = 7 * 86400
# SET the version only if it is higher: commits finish out of order.
_RAISE_VERSION = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if wanted > current then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return wanted end
return current
"""


class SeatMapCache:
    """Snapshots, versions and availability counts; a Redis failure is a miss, not an error."""

    def __init__(self, redis: Redis, *, ttl: int) -> None:
        self.redis = redis
        self.ttl = ttl

    async def snapshot(self, event_id: str) -> str | None:
        """The cached seat-map body if it is current and no hold in it has run out."""
        try:
            raw, version = await self.redis.mget(
                [_SNAPSHOT_KEY.format(event_id=event_id), _VERSION_KEY.format(event_id=event_id)]
            )
        except RedisError as exc:
            log.warning("booking_cache_unavailable", error=type(exc).__name__)
            return None
        if raw is None or version is None:
            return None
        built_version, stale_after, body = str(raw).split("|", 2)
        if built_version != str(version) or time.time() >= float(stale_after):
            return None
        return body

    async def store_snapshot(
        self, event_id: str, *, version: int, stale_after: float, body: str
    ) -> None:
        """Keep a body built at `version`, and make that version current if nothing newer is."""
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.set(
                    _SNAPSHOT_KEY.format(event_id=event_id),
                    f"{version}|{stale_after}|{body}",
                    ex=self.ttl,
                )
                pipe.eval(
                    _RAISE_VERSION,
                    1,
                    _VERSION_KEY.format(event_id=event_id),
                    str(version),
                    str(_VERSION_TTL_SECONDS),
                )
                await pipe.execute()
        except RedisError as exc:
            log.warning("booking_cache_unavailable", error=type(exc).__name__)

    async def raise_version(self, event_id: str, version: int) -> None:
        """After a commit: the snapshot built before it is no longer current."""
        try:
            await self.redis.eval(
                _RAISE_VERSION,
                1,
                _VERSION_KEY.format(event_id=event_id),
                str(version),
                str(_VERSION_TTL_SECONDS),
            )
        except RedisError as exc:
            # The snapshot's TTL bounds how long readers may see the old map.
            log.warning("booking_version_not_raised", event_id=event_id, error=str(exc))

    async def store_availability(self, event_id: str, counts: Mapping[str, int]) -> None:
        """Replace the per-grade counts catalog shows."""
        key = AVAILABILITY_KEY.format(event_id=event_id)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                if counts:
                    pipe.hset(key, mapping={grade: int(n) for grade, n in counts.items()})
                await pipe.execute()
        except RedisError as exc:
            log.warning("booking_availability_not_stored", event_id=event_id, error=str(exc))

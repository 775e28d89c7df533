"""The seat map's snapshot and the per-grade availability counts, in Redis.

The snapshot is the finished JSON body of GET /events/{id}/seats, stored with the version it
was built at and the moment its first hold runs out. Writers bump the version in PostgreSQL
and, after commit, raise `booking:seats:{id}:ver` to it (never lower); a reader serves the
snapshot only when its version is the current one and no hold in it has run out, so a lost
Redis write costs a rebuild, never a wrong map for longer than the TTL.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tiketi.kernel.redis import coalescer

log = structlog.get_logger("tiketi.booking")

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
# Snapshots kept in process memory, newest used last out (a 100,000-seat map is ~10 MiB).
LOCAL_BYTES = 64 * 2**20


@dataclass
class Snapshot:
    """A seat-map body ready to send: its bytes, its validator, and its gzip once asked for."""

    version: int
    stale_after: float
    body: bytes
    # Weak: the same map gzip-encoded or not. The version alone is not enough: a hold that
    # runs out changes the map (expiry is lazy) before the sweeper bumps the version.
    etag: str
    _gzip: bytes | None = field(default=None, repr=False)

    @classmethod
    def of(cls, version: int, stale_after: float, body: str) -> Snapshot:
        """A snapshot of a body built at `version`, current until `stale_after` at most."""
        data = body.encode()
        return cls(version, stale_after, data, f'W/"{version}-{zlib.crc32(data):08x}"')

    def gzipped(self) -> bytes:
        """The body gzip-compressed (once per snapshot and process; a map shrinks ~10x)."""
        if self._gzip is None:
            self._gzip = gzip.compress(self.body, compresslevel=5, mtime=0)
        return self._gzip


class SeatMapCache:
    """Snapshots, versions and availability counts; a Redis failure is a miss, not an error.

    A read costs one GET of the small version key: the snapshot's bytes come from process
    memory while their version is current, and from Redis (then kept) once per version.
    """

    def __init__(self, redis: Redis, *, ttl: int, local_bytes: int = LOCAL_BYTES) -> None:
        self.redis = redis
        self.ttl = ttl
        self._local: OrderedDict[str, Snapshot] = OrderedDict()
        self._local_bytes = 0
        self._local_budget = local_bytes

    async def snapshot(self, event_id: str) -> Snapshot | None:
        """The current seat map if it is cached and no hold in it has run out."""
        try:
            # Concurrent readers' GETs share round trips (kernel.redis.Coalescer).
            current = await coalescer(self.redis).command(
                "GET", _VERSION_KEY.format(event_id=event_id)
            )
        except RedisError as exc:
            log.warning("booking_cache_unavailable", error=type(exc).__name__)
            return None
        if current is None:
            return None
        version, now = int(current), time.time()
        local = self._local.get(event_id)
        if local is not None and local.version == version and now < local.stale_after:
            self._local.move_to_end(event_id)
            return local
        try:
            raw = await self.redis.get(_SNAPSHOT_KEY.format(event_id=event_id))
        except RedisError as exc:
            log.warning("booking_cache_unavailable", error=type(exc).__name__)
            return None
        if raw is None:
            return None
        built_version, stale_after, body = str(raw).split("|", 2)
        if int(built_version) != version or now >= float(stale_after):
            return None
        return self._remember(event_id, Snapshot.of(version, float(stale_after), body))

    def _remember(self, event_id: str, snapshot: Snapshot) -> Snapshot:
        old = self._local.pop(event_id, None)
        if old is not None:
            self._local_bytes -= len(old.body)
        self._local[event_id] = snapshot
        self._local_bytes += len(snapshot.body)
        while self._local_bytes > self._local_budget and len(self._local) > 1:
            _, evicted = self._local.popitem(last=False)
            self._local_bytes -= len(evicted.body)
        return snapshot

    async def store_snapshot(
        self, event_id: str, *, version: int, stale_after: float, body: str
    ) -> Snapshot:
        """Keep a body built at `version`, and make that version current if nothing newer is."""
        snapshot = self._remember(event_id, Snapshot.of(version, stale_after, body))
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
        return snapshot

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

"""A Redis token bucket, shared by every process, usable per route or per key."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from tiketi.kernel.errors import RateLimited
from tiketi.kernel.metrics import RATE_LIMITED
from tiketi.kernel.redis import coalescer

# KEYS[1] bucket; ARGV rate (tokens/s), burst, cost. Uses the server clock so every
# process agrees. Returns {allowed, milliseconds until `cost` tokens are available}.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, wait}
"""


# Leased tokens not spent within this long are dropped (never handed to a later burst).
LEASE_SECONDS = 1.0
# Keys with a lease at most; past it the oldest lease is dropped (its tokens are lost).
MAX_LEASES = 50_000


class TokenBucket:
    """`rate` tokens a second up to `burst`; each call takes `cost`.

    With `lease` > 1 a process takes that many tokens from Redis at once and spends them
    itself for up to LEASE_SECONDS: a busy client costs one Redis call per `lease` requests
    instead of one per request. The limit stays a limit (every token spent came from Redis;
    unspent ones expire unused), and near it the bucket asks for single tokens, so a client
    at its limit is refused exactly as without a lease.

    Takes that wait for Redis at the same moment (other clients' first requests) share one
    round trip (kernel.redis.Coalescer); Redis still runs them one after the other, so the
    limit is as exact.
    """

    def __init__(self, redis: Redis, *, name: str, rate: float, burst: int, lease: int = 1) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.name = name
        self.rate = rate
        self.burst = burst
        self.redis = redis
        self.lease = max(1, min(lease, burst))
        self._script = redis.register_script(_BUCKET_SCRIPT)
        # key -> [tokens left, monotonic deadline]; insertion order = age.
        self._leases: dict[str, list[float]] = {}

    async def retry_after(self, key: str, cost: int = 1) -> float:
        """Take `cost` tokens; 0 when allowed, else the seconds to wait."""
        if self.lease > cost:
            now = time.monotonic()
            held = self._leases.get(key)
            if held is not None and held[1] > now and held[0] >= cost:
                held[0] -= cost
                return 0.0
            if await self._take(key, self.lease) == 0.0:
                self._leases.pop(key, None)
                if len(self._leases) >= MAX_LEASES:
                    del self._leases[next(iter(self._leases))]
                self._leases[key] = [self.lease - cost, now + LEASE_SECONDS]
                return 0.0
        return await self._take(key, cost)

    async def _take(self, key: str, cost: int) -> float:
        allowed, wait_ms = await coalescer(self.redis).script(
            self._script, [f"ratelimit:{self.name}:{key}"], [self.rate, self.burst, cost]
        )
        return 0.0 if int(allowed) else int(wait_ms) / 1000

    async def check(self, key: str, cost: int = 1) -> None:
        """Raise 429 with Retry-After when the bucket for `key` is empty."""
        wait = await self.retry_after(key, cost)
        if wait > 0:
            RATE_LIMITED.labels(self.name).inc()
            raise RateLimited(max(1, math.ceil(wait)))


def client_ip(request: HTTPConnection, trusted_hops: int = 0) -> str:
    """The caller's address, taking X-Forwarded-For from `trusted_hops` proxies we run."""
    if trusted_hops > 0:
        forwarded = [p.strip() for p in request.headers.get("x-forwarded-for", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= trusted_hops:
            return forwarded[-trusted_hops]
    return request.client.host if request.client else "unknown"


def rate_limit(
    name: str, *, per_minute: int, burst: int | None = None
) -> Callable[[Request], Awaitable[None]]:
    """A route dependency limiting each client IP to `per_minute` requests."""

    async def dependency(request: Request) -> None:
        runtime = request.app.state.runtime
        bucket = TokenBucket(
            runtime.redis, name=name, rate=per_minute / 60, burst=burst or per_minute
        )
        await bucket.check(client_ip(request, runtime.settings.trusted_proxy_hops))

    return dependency

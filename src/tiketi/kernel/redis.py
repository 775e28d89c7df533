"""The redis-py asyncio client every service shares."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


def create_redis(url: str, *, timeout: float = 2.0, max_connections: int = 200) -> Redis:
    """A pooled client that reconnects by itself after Redis restarts.

    The pool blocks (up to `timeout`) when every connection is busy instead of failing at
    once, so a burst of concurrent requests queues for a moment rather than erroring.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=15,
        max_connections=max_connections,
        timeout=timeout,
        # One quick retry hides a failover blip; longer outages surface as 503s.
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    # from_pool: the client owns the pool, so aclose() closes its connections too.
    return Redis.from_pool(pool)

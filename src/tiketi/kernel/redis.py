"""The redis-py asyncio client every service shares."""

from __future__ import annotations

import asyncio
from asyncio import Future
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
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


@dataclass(frozen=True)
class _Call:
    """One queued call: how it joins a pipeline, how it runs alone, where its answer goes."""

    queue: Callable[[Pipeline], object]
    alone: Callable[[], Awaitable[Any]]
    answer: Future[Any]


class Coalescer:
    """Calls that wait for Redis at the same moment go out as one pipeline.

    The first call goes out at once, alone; calls made while it is in flight queue and leave
    together when it returns (one round trip, answered in order), and so on. A call costs
    what it did alone, a burst of concurrent requests costs far fewer round trips, and every
    call is still sent after its caller made it (a read sees every write that finished before
    it). A failed round trip fails each call in it as it would have failed alone; one script's
    error is only its own call's.
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._waiting: list[_Call] = []
        self._sending = False
        self._batch: Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def script(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """`await script(keys=keys, args=args)`, sharing its round trip when others wait too."""
        return await self._call(
            # EVALSHA itself: a pipeline told of scripts would ask SCRIPT EXISTS first.
            lambda pipe: pipe.evalsha(script.sha, len(keys), *keys, *args),
            lambda: script(keys=keys, args=args),
        )

    async def command(self, *args: Any) -> Any:
        """`await redis.execute_command(*args)` (GET, HGET, ...), sharing its round trip."""
        return await self._call(
            lambda pipe: pipe.execute_command(*args),
            lambda: self.redis.execute_command(*args),  # type: ignore[no-untyped-call]
        )

    async def _call(
        self, queue: Callable[[Pipeline], object], alone: Callable[[], Awaitable[Any]]
    ) -> Any:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): nothing of the old one is due
            self._loop, self._waiting, self._sending = loop, [], False
        if not self._sending:
            self._sending = True
            try:
                return await alone()
            finally:
                self._send_waiting()
        answer: Future[Any] = loop.create_future()
        self._waiting.append(_Call(queue, alone, answer))
        return await answer

    def _send_waiting(self) -> None:
        if not self._waiting:
            self._sending = False
            return
        batch, self._waiting = self._waiting, []
        # A task of its own: the request that started the round trip may be cancelled.
        self._batch = asyncio.ensure_future(self._run(batch))
        self._batch.add_done_callback(lambda _: self._send_waiting())

    async def _run(self, batch: list[_Call]) -> None:
        try:
            results = await self._execute(batch)
        except asyncio.CancelledError:
            for call in batch:
                call.answer.cancel()
            raise
        except Exception as exc:  # the round trip failed: so does every call in it
            results = [exc] * len(batch)
        for call, result in zip(batch, results, strict=True):
            if call.answer.done():
                continue
            if isinstance(result, Exception):
                call.answer.set_exception(result)
            else:
                call.answer.set_result(result)

    async def _execute(self, batch: list[_Call]) -> list[Any]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for call in batch:
                call.queue(pipe)
            results: list[Any] = await pipe.execute(raise_on_error=False)
        for index, result in enumerate(results):
            if isinstance(result, NoScriptError):  # Redis restarted: load it, run it alone
                try:
                    results[index] = await batch[index].alone()
                except Exception as exc:
                    results[index] = exc
        return results


_coalescers: WeakKeyDictionary[Redis, Coalescer] = WeakKeyDictionary()


def coalescer(redis: Redis) -> Coalescer:
    """The one Coalescer of this client (its calls share round trips, whoever makes them)."""
    found = _coalescers.get(redis)
    if found is None:
        found = _coalescers[redis] = Coalescer(redis)
    return found

"""How live messages leave a process: batched per room, then fanned out through Redis.

The batcher sends a room's changes at most once per window; the Redis manager hands every emit
to the other processes and keeps them waiting, in order, while Redis is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import socketio
import structlog
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from tiketi.kernel import metrics

log = structlog.get_logger("tiketi.realtime")

# (room, event, payload) -> delivered to the room's clients, wherever they are connected.
Send = Callable[[str, str, dict[str, Any]], Awaitable[None]]
BatchKey = tuple[str, str]

# A lost subscription is retried at least this often, so it is back soon after Redis is.
LISTEN_RETRY_CAP = 0.5
PUBLISH_RETRY_CAP = 2.0
# After an outage, queued messages wait this long once Redis answers: long enough for every
# process's listener to have re-subscribed, or the messages would reach nobody.
RESUBSCRIBE_GRACE = LISTEN_RETRY_CAP + 0.2


@dataclass
class Batch:
    """The changes waiting for one room and event: the newest change per key, the top version."""

    extra: dict[str, Any]
    version: int = 0
    changes: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def add(self, key: str, change: dict[str, Any], version: int) -> None:
        """Keep `change` unless this batch already holds a newer one for the same key."""
        held = self.changes.get(key)
        if held is None or version >= held[0]:
            self.changes[key] = (version, change)
        self.version = max(self.version, version)

    def absorb_older(self, older: Batch) -> None:
        """Take back a batch that failed to go out, without letting it override newer changes."""
        for key, (version, change) in older.changes.items():
            held = self.changes.get(key)
            if held is None or version > held[0]:
                self.changes[key] = (version, change)
        self.version = max(self.version, older.version)
        self.extra = {**older.extra, **self.extra}

    def payload(self) -> dict[str, Any]:
        """The message clients get: `{**extra, version, changes: [...]}`."""
        return {
            **self.extra,
            "version": self.version,
            "changes": [change for _, change in self.changes.values()],
        }


class ChangeBatcher:
    """Sends a room's first change at once, then at most one coalesced message per window.

    One background loop does all sending; a failed send (Redis away, say) is logged, merged
    back behind newer changes and retried with a back-off, so the loop itself never dies.
    """

    def __init__(self, send: Send, *, window: float = 0.2, retry_cap: float = 2.0) -> None:
        self.window = window
        self._send = send
        self._retry_cap = retry_cap
        self._pending: dict[BatchKey, Batch] = {}
        self._due: dict[BatchKey, float] = {}
        self._last_sent: dict[BatchKey, float] = {}
        self._failures = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(
        self,
        room: str,
        event: str,
        key: str,
        change: Mapping[str, Any],
        version: int,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue one change (last writer by version wins per key) and make sure it will go out."""
        batch_key = (room, event)
        batch = self._pending.get(batch_key)
        if batch is None:
            batch = self._pending[batch_key] = Batch(dict(extra or {}))
            last = self._last_sent.get(batch_key)
            now = time.monotonic()
            self._due[batch_key] = now if last is None else max(now, last + self.window)
            self._wake.set()
        elif extra:
            batch.extra.update(extra)
        batch.add(key, dict(change), version)
        self._ensure_running()

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="realtime.batcher"
            )

    @property
    def pending(self) -> int:
        """How many room batches wait to be sent."""
        return len(self._pending)

    async def flush(self) -> None:
        """Send everything pending now, whatever the windows say (tests, shutdown)."""
        for batch_key in list(self._pending):
            await self._flush_one(batch_key)

    async def close(self) -> None:
        """Flush what is pending, then stop the loop."""
        with contextlib.suppress(Exception):
            await self.flush()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                now = time.monotonic()
                for batch_key in [k for k, due in self._due.items() if due <= now]:
                    await self._flush_one(batch_key)
                self._forget_quiet_rooms(time.monotonic())
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not stop every live map in the process
                log.exception("realtime_batcher_error")
                await asyncio.sleep(self.window)
            # No await between computing the delay and clearing: no wake-up can be lost.
            self._wake.clear()
            delay = min(self._due.values()) - time.monotonic() if self._due else None
            if delay is None:
                await self._wake.wait()
            elif delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)

    async def _flush_one(self, batch_key: BatchKey) -> None:
        batch = self._pending.pop(batch_key, None)
        self._due.pop(batch_key, None)
        if batch is None:
            return
        self._last_sent[batch_key] = time.monotonic()
        room, event = batch_key
        try:
            await self._send(room, event, batch.payload())
            self._failures = 0
        except asyncio.CancelledError:
            self._requeue(batch_key, batch, delay=0.0)
            raise
        except Exception as exc:
            self._failures += 1
            delay = min(self.window * 2**self._failures, self._retry_cap)
            log.warning(
                "realtime_batch_failed",
                room=room,
                socket_event=event,
                error=type(exc).__name__,
                retry_in=delay,
            )
            self._requeue(batch_key, batch, delay=delay)

    def _requeue(self, batch_key: BatchKey, batch: Batch, *, delay: float) -> None:
        newer = self._pending.get(batch_key)
        if newer is not None:
            newer.absorb_older(batch)
        else:
            self._pending[batch_key] = batch
        self._due[batch_key] = time.monotonic() + delay

    def _forget_quiet_rooms(self, now: float) -> None:
        # A room silent for a whole window may send its next change at once; forget it.
        for batch_key, sent in list(self._last_sent.items()):
            if now - sent >= self.window and batch_key not in self._due:
                del self._last_sent[batch_key]


async def _close_quietly(*clients: Any) -> None:
    # Only what was created, and only if it can close: a client that never connected may be
    # None (the seeds' incident 5 crashed on exactly that).
    for client in clients:
        close = getattr(client, "aclose", None)
        if close is None:
            continue
        with contextlib.suppress(Exception):
            await close()


class RedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager, hardened for outages.

    Its own publish retries once and then drops the message, in the caller's time; its listener
    backs off up to a minute. Here a publish only queues the message (bounded, in order) and one
    task sends the queue, keeping it while Redis is away; listeners re-subscribe within half a
    second of Redis coming back, and what waited goes out once they have. Local clients are
    served before any of this (python-socketio delivers locally first).
    """

    def __init__(
        self, url: str, *, channel: str, write_only: bool, timeout: float, backlog: int
    ) -> None:
        super().__init__(url, channel=channel, write_only=write_only)
        self._timeout = timeout
        self._limit = backlog
        self._backlog: deque[tuple[int, str]] = deque()
        self._seq = 0
        self._waiting = asyncio.Event()
        self._idle = asyncio.Event()
        self._publisher: Redis | None = None
        self._drainer: asyncio.Task[None] | None = None
        self._recovering = False

    def _client(self, **options: Any) -> Redis:
        if not self.redis_url.startswith("unix:"):  # the embedded Redis: no TCP options
            options["socket_keepalive"] = True
        return Redis.from_url(
            self.redis_url,
            socket_connect_timeout=self._timeout,
            retry=Retry(NoBackoff(), 0),  # the loops below retry, with their own back-off
            **options,
        )

    @property
    def waiting(self) -> int:
        """Messages queued for other processes, not yet handed to Redis."""
        return len(self._backlog)

    async def _publish(self, data: Any) -> None:
        if len(self._backlog) >= self._limit:
            self._backlog.popleft()
            metrics.SOCKET_DROPPED.inc()
        self._seq += 1
        self._backlog.append((self._seq, json.dumps(data, separators=(",", ":"))))
        metrics.SOCKET_BACKLOG.set(len(self._backlog))
        self._waiting.set()
        self._idle.clear()
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.get_running_loop().create_task(
                self._drain(), name="realtime.publisher"
            )

    async def _drain(self) -> None:
        delay = 0.05
        while True:
            await self._waiting.wait()
            try:
                await self._send_waiting()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "realtime_publish_failed",
                    error=type(exc).__name__,
                    waiting=len(self._backlog),
                    retry_in=delay,
                )
                publisher, self._publisher = self._publisher, None
                await _close_quietly(publisher)
                self._recovering = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, PUBLISH_RETRY_CAP)
                continue
            delay = 0.05
            if not self._backlog:
                self._waiting.clear()
                self._idle.set()

    async def _send_waiting(self) -> None:
        if self._publisher is None:
            self._publisher = self._client(socket_timeout=self._timeout)
        if self._recovering:
            await self._publisher.ping()  # still away: raise, and wait some more
            log.info("realtime_publish_resumed", waiting=len(self._backlog))
            await asyncio.sleep(RESUBSCRIBE_GRACE)
            self._recovering = False
        while self._backlog:
            batch = [self._backlog[i] for i in range(min(len(self._backlog), 256))]
            async with self._publisher.pipeline(transaction=False) as pipe:
                for _, message in batch:
                    pipe.publish(self.channel, message)
                await pipe.execute()
            # The queue may have moved while we waited (new messages, old ones dropped).
            last = batch[-1][0]
            while self._backlog and self._backlog[0][0] <= last:
                self._backlog.popleft()
            metrics.SOCKET_BACKLOG.set(len(self._backlog))

    async def _listen(self) -> AsyncIterator[bytes]:
        delay = 0.1
        while True:
            client = pubsub = None
            try:
                client = self._client(health_check_interval=10)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self.channel)
                log.info("realtime_subscribed", channel=self.channel)
                delay = 0.1
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        yield message["data"]
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("realtime_subscription_lost", error=type(exc).__name__, retry_in=delay)
            finally:
                await _close_quietly(pubsub, client)
            await asyncio.sleep(delay)
            delay = min(delay * 2, LISTEN_RETRY_CAP)

    async def close(self, *, grace: float) -> None:
        """Give queued messages up to `grace` seconds to reach Redis, then stop every task."""
        if self._backlog and self._drainer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), grace)
        tasks = [t for t in (self._drainer, getattr(self, "thread", None)) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._drainer = None
        publisher, self._publisher = self._publisher, None
        await _close_quietly(publisher)

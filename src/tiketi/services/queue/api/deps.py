"""What the queue routes need: the module's collaborators, built once per process."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.runtime import Runtime
from tiketi.services.queue.adapters.realtime import RealtimeNotifier
from tiketi.services.queue.adapters.store import QueueStore
from tiketi.services.queue.domain.ports import QueueNotifier
from tiketi.services.queue.service.admitter import Admitter
from tiketi.services.queue.service.common import EventDirectory, Queue, join_limits
from tiketi.services.queue.settings import QueueSettings


@dataclass
class QueueDeps:
    """One queue module's settings, notifier and per-process state."""

    settings: QueueSettings
    notifier: QueueNotifier | None = None
    # Names this process as the admitter's lease holder (unique even for two apps in one).
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    )
    _queue: Queue | None = None
    _admitter: Admitter | None = None

    def queue(self, runtime: Runtime) -> Queue:
        """The use cases' collaborators on this process's engines (made on first use)."""
        if self._queue is None:
            settings = self.settings

            def uow() -> UnitOfWork:
                return UnitOfWork(runtime.db.sessions)

            self._queue = Queue(
                settings=settings,
                uow=uow,
                store=QueueStore(runtime.redis),
                directory=EventDirectory(
                    uow,
                    ttl=settings.event_cache_seconds,
                    pre_window=timedelta(seconds=settings.pre_queue_seconds),
                ),
                limits=join_limits(settings),
                notifier=self.notifier or RealtimeNotifier(runtime),
            )
        return self._queue

    def admitter(self, runtime: Runtime) -> Admitter:
        """This process's admitter (it ticks only while it holds the lease)."""
        if self._admitter is None:
            self._admitter = Admitter(self.queue(runtime), owner=self.owner)
        return self._admitter

    def current(self) -> Queue:
        """The Queue made at start-up (for the event handlers, which get no runtime)."""
        if self._queue is None:
            raise RuntimeError("the queue service has not started")
        return self._queue

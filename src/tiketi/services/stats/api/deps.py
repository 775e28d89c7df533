"""What the stats routes and handlers need: the module's collaborators, built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.deps import require_role
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.tokens import Principal
from tiketi.services.stats.service.common import Stats
from tiketi.services.stats.service.projection import Changed
from tiketi.services.stats.service.push import StatsPusher
from tiketi.services.stats.settings import StatsSettings


@dataclass
class StatsDeps:
    """One stats module's settings and per-process state."""

    settings: StatsSettings
    _stats: Stats | None = None
    pusher: StatsPusher | None = None

    def stats(self, runtime: Runtime) -> Stats:
        """The use cases' collaborators on this process's engines (made on first use)."""
        if self._stats is None:
            self._stats = Stats(
                settings=self.settings,
                uow=lambda: UnitOfWork(runtime.db.sessions),
                redis=runtime.redis,
            )
        return self._stats

    def changed(self) -> Changed | None:
        """The push hook for the handlers (None before start-up or without sockets)."""
        return self.pusher.request if self.pusher is not None else None


AdminDep = Annotated[Principal, Depends(require_role())]

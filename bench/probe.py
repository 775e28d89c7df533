"""Where the CPU went during a scenario: the platform, PostgreSQL, Redis, the clients.

With two cores for everything, the role that used a whole core is what limited the figure.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import psutil


def _tree(pid: int | None) -> list[psutil.Process]:
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _cpu(processes: Iterable[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for proc in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = proc.cpu_times()
            seconds[proc.pid] = times.user + times.system
    return seconds


@dataclass
class CpuProbe:
    """CPU seconds per role between `start()` and `stop()`, as % of one core."""

    roles: dict[str, int | None]
    wall: float = 0.0
    _before: dict[str, dict[int, float]] = field(default_factory=dict)
    _after: dict[str, dict[int, float]] = field(default_factory=dict)
    _machine: float = 0.0

    def start(self) -> None:
        """Take the first reading."""
        self._before = {role: _cpu(_tree(pid)) for role, pid in self.roles.items()}
        psutil.cpu_percent(None)
        self.wall = time.perf_counter()

    def stop(self) -> None:
        """Take the second reading."""
        self.wall = time.perf_counter() - self.wall
        self._machine = psutil.cpu_percent(None)
        self._after = {role: _cpu(_tree(pid)) for role, pid in self.roles.items()}

    def percent(self) -> dict[str, float]:
        """Each role's CPU as % of one core (PostgreSQL: every backend; 200 = both cores)."""
        shares = {}
        for role, after in self._after.items():
            before = self._before.get(role, {})
            # Backends started during the run count from zero.
            used = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
            shares[role] = 100 * used / self.wall if self.wall > 0 else 0.0
        shares["machine"] = self._machine * psutil.cpu_count()
        return shares

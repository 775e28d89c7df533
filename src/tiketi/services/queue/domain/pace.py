"""The measured admission pace behind the published ETA (`eta_per_person`).

The pace counts every admission the room made, whatever let the fan in — the admitter's tick,
capacity given back by a fan who left, bought or let a hold expire, or a join admitted at once
— because it is read from the room's admission counter (`admitted_total`), not from the steps
one process ran. When `max_active` is what limits the room, almost every admission comes from
capacity given back, so counting only the admitter's own admissions made the ETA swing between
"nobody moves" and "everybody at once" while the room moved at a steady pace.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# Longest ETA per person ever published (a stalled room still gets a number, not infinity).
MAX_SECONDS_PER_PERSON = 3600.0


@dataclass
class AdmissionPace:
    """Admissions per second over a sliding window of the room's admission counter.

    The window is the last `window` seconds, stretched back (up to `horizon`) until it holds
    at least `min_admissions` admissions, so a slow or stalling room slows the estimate down
    gradually instead of dropping it to zero. Intervals with nobody waiting at either end do
    not count: an empty line says nothing about how fast the next one will move. Before
    `min_span` seconds with at least one admission have been measured there is no estimate.
    """

    window: float = 10.0
    min_admissions: int = 5
    horizon: float = 300.0
    min_span: float = 1.0
    # (measured seconds, admissions counted) at each counted admission; [0] the oldest kept.
    _points: deque[tuple[float, int]] = field(default_factory=deque)
    _measured: float = 0.0
    _counted: int = 0
    # (clock, admitted total, waiting) at the last observation.
    _last: tuple[float, int, int] | None = None

    def observe(self, *, total: int, now: float, waiting: int) -> None:
        """Fold in the room's admission counter `total` read at `now` (seconds, any monotonic
        clock) with `waiting` fans in line. A counter that went down (the room's state was
        re-created) starts the measurement over."""
        last, self._last = self._last, (now, total, waiting)
        if last is None or total < last[1]:
            self._measured, self._counted = 0.0, 0
            self._points = deque([(0.0, 0)])
            return
        if last[2] == 0 and waiting == 0:
            # Nobody waited at either end: these admissions (joins let in at once) measure
            # demand, not how fast a line moves; this time does not count either.
            return
        self._measured += max(0.0, now - last[0])
        if total > last[1]:
            self._counted += total - last[1]
            self._points.append((self._measured, self._counted))
        # Forget beyond the horizon, but keep enough points to stretch the window over.
        oldest = self._measured - self.horizon
        while len(self._points) > self.min_admissions + 1 and self._points[1][0] <= oldest:
            self._points.popleft()

    def rate(self) -> float | None:
        """Admissions per second measured; None when there is no estimate yet."""
        if self._last is None or not self._points:
            return None
        total = self._counted
        anchor = self._points[0]
        for point in reversed(self._points):
            old_enough = self._measured - point[0] >= self.window
            if old_enough and total - point[1] >= self.min_admissions:
                anchor = point
                break
        span, count = self._measured - anchor[0], total - anchor[1]
        if count <= 0 or span < self.min_span:
            return None
        return count / span

    def seconds_per_person(self, allowed_rate: float) -> float:
        """The ETA per person: 1 / the measured pace, never faster than `allowed_rate` (the
        admission rate allowed now: nobody is let in faster) and, before anything is measured,
        1 / `allowed_rate`; at most MAX_SECONDS_PER_PERSON."""
        measured = self.rate()
        rate = allowed_rate if measured is None else min(measured, allowed_rate)
        if rate <= 0:
            return MAX_SECONDS_PER_PERSON
        return min(MAX_SECONDS_PER_PERSON, 1.0 / rate)

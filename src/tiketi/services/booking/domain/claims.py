"""Seats this process is trying to hold right now, so best-available spreads concurrent fans.

Without it, every fan asking for the best two seats at the same moment is offered the same two:
one wins, the others lose the race, read again and retry. A chooser skips the seats another
hold of this process is attempting, and those an attempt gave back after the chooser began
reading (its reads may predate that hold's commit, so they would still show them free). If
nothing else fits, it still races for them: a claim is a hint, never a lock; the database's
conditional UPDATE decides. Pure and synchronous: claiming happens with no await between the
choice and the claim.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

# How long given-back claims are remembered for choosers that began reading before: longer
# than any choice takes, however loaded the process.
REMEMBER_SECONDS = 30.0


class SeatClaims:
    """Per event, the seats held attempts of this process are taking (counted: two attempts
    racing for one seat both claim it), and those given back lately."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._events: dict[uuid.UUID, Counter[int]] = {}
        # (when, event, seats), oldest first, every event's.
        self._given_back: deque[tuple[float, uuid.UUID, list[int]]] = deque()
        self._clock = clock

    def now(self) -> float:
        """The clock `of(..., since=)` compares with."""
        return self._clock()

    def of(self, event_id: uuid.UUID, *, since: float | None = None) -> frozenset[int]:
        """The event's seats claimed right now, and, with `since`, those given back after it."""
        seats: set[int] = set(self._events.get(event_id, ()))
        if since is not None:
            for at, event, given in reversed(self._given_back):
                if at < since:
                    break
                if event == event_id:
                    seats.update(given)
        return frozenset(seats)

    @contextmanager
    def claim(self, event_id: uuid.UUID, seat_ids: Iterable[int]) -> Iterator[None]:
        """Claim `seat_ids` for the duration of the block."""
        seats = list(seat_ids)
        claimed = self._events.setdefault(event_id, Counter())
        claimed.update(seats)
        try:
            yield
        finally:
            claimed.subtract(seats)
            for seat in seats:
                if claimed[seat] <= 0:
                    claimed.pop(seat, None)
            if not claimed:
                self._events.pop(event_id, None)
            self._give_back(event_id, seats)

    def _give_back(self, event_id: uuid.UUID, seats: list[int]) -> None:
        now = self._clock()
        given = self._given_back
        given.append((now, event_id, seats))
        while given[0][0] < now - REMEMBER_SECONDS:
            given.popleft()

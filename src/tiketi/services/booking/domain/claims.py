"""Seats this process is trying to hold right now, so best-available spreads concurrent fans.

Without it, every fan asking for the best two seats at the same moment is offered the same two:
one wins, the others lose the race, read again and retry. A chooser skips the seats another
hold of this process is attempting; if nothing else fits, it still races for them (a claim is
a hint, never a lock: the database's conditional UPDATE decides, and an attempt that fails
frees its seats for the next chooser). Pure and synchronous: claiming happens with no await
between the choice and the claim.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class SeatClaims:
    """Per event, the seats held attempts of this process are taking (counted: two attempts
    racing for one seat both claim it)."""

    def __init__(self) -> None:
        self._events: dict[uuid.UUID, Counter[int]] = {}

    def of(self, event_id: uuid.UUID) -> frozenset[int]:
        """The event's seats claimed right now."""
        claimed = self._events.get(event_id)
        return frozenset(claimed) if claimed else frozenset()

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

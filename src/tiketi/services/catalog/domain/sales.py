"""Sale state and availability: computed at read time, never stored, so no cache can stale it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal, Protocol

from tiketi.services.catalog.domain.events import EventStatus

SaleState = Literal["upcoming", "on_sale", "closed", "sold_out"]


class AvailabilitySource(Protocol):
    """Per-grade counts of seats still for sale, as the seat inventory (booking) reports them."""

    async def counts(self, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
        """Counts per grade code for the events the inventory knows; others are left out."""
        ...


def grade_availability(
    totals: Mapping[str, int], reported: Mapping[str, int] | None
) -> dict[str, int]:
    """Seats available per grade: the inventory's count when it reports one, else every seat.

    Until booking reports an event (it has not built the inventory yet, or it is not
    deployed), all seats of a grade count as available. A report never exceeds the total.
    """
    if reported is None:
        return dict(totals)
    return {code: max(0, min(total, reported.get(code, total))) for code, total in totals.items()}


def sale_state(
    *,
    status: EventStatus,
    sale_opens_at: datetime,
    sale_closes_at: datetime,
    available: int,
    now: datetime,
) -> SaleState:
    """upcoming before the window (and while a draft), closed after it or once canceled,
    sold_out inside it when nothing is left, else on_sale."""
    if status == "canceled" or now >= sale_closes_at:
        return "closed"
    if status == "draft" or now < sale_opens_at:
        return "upcoming"
    if available <= 0:
        return "sold_out"
    return "on_sale"

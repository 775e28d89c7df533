"""Opening the sale: the pre-queue's fans get tickets 1..k in the drawn order; the seed is
revealed. Crash-safe: every step can run again with the same outcome.

1. The first script to see the clock past `sale_opens_at` freezes the pre-queue (RENAME to
   `frozen`) and reserves tickets 1..k, so later joins get k+1, k+2, … at once.
2. The admitter draws the order from the committed seed and stores the draw in PostgreSQL
   (once: a redo finds it and uses it).
3. It places the fans in the line in batches (a redo skips those already placed), then marks
   the room open; only then does admission start.
"""

from __future__ import annotations

import uuid

from tiketi.services.queue.adapters.events import EventRows
from tiketi.services.queue.domain.errors import EventNotFound
from tiketi.services.queue.domain.fairness import ALGORITHM_TEXT, anonymise, shuffle
from tiketi.services.queue.domain.models import FairnessView, QueueEvent
from tiketi.services.queue.service.common import Queue, log, utcnow

ASSIGN_BATCH = 2000
# Published draws a process keeps in memory.
DRAWS_KEPT = 16


async def open_pre_queue(queue: Queue, event: QueueEvent) -> int:
    """Draw the frozen pre-queue's order and place its fans; how many fans it had."""
    users = await queue.store.frozen(event.id)
    by_name = {anonymise(event.id, user): user for user in users}
    async with queue.uow() as uow:
        rows = EventRows(uow.session)
        row = await rows.lock(uuid.UUID(event.id))
        if row is None:
            raise EventNotFound()
        draw = await rows.draw(row.id)
        if draw is None:
            ordering = shuffle(row.seed, by_name)
            draw = await rows.store_draw(
                row, joiners=sorted(by_name), ordering=ordering, at=utcnow()
            )
            await uow.commit()
        ordering = list(draw.ordering)
    # A name the frozen set does not have cannot be placed, but keeps its number ("").
    placed_in_order = [by_name.get(name, "") for name in ordering]
    for start in range(0, len(placed_in_order), ASSIGN_BATCH):
        await queue.store.assign(
            event.id,
            epoch=event.epoch,
            first=start + 1,
            users=placed_in_order[start : start + ASSIGN_BATCH],
        )
    await queue.store.finish_opening(event.id, epoch=event.epoch)
    queue.directory.forget(event.id)
    log.info("pre_queue_drawn", event_id=event.id, joiners=len(ordering))
    return len(ordering)


async def fairness(queue: Queue, event_id: str) -> FairnessView:
    """The commitment always; the seed, the joiners and the order once drawn (a draw never
    changes, so each process loads it once: it can be 100,000 names long)."""
    event = await queue.directory.require(event_id)
    drawn = queue.draws.get(event.id)
    if drawn is not None:
        return drawn
    view = await _load_fairness(queue, event)
    if view.seed is not None:
        if len(queue.draws) >= DRAWS_KEPT:
            queue.draws.pop(next(iter(queue.draws)))
        queue.draws[event.id] = view
    return view


async def _load_fairness(queue: Queue, event: QueueEvent) -> FairnessView:
    async with queue.uow() as uow:
        rows = EventRows(uow.session)
        row = await rows.row(uuid.UUID(event.id))
        if row is None:
            raise EventNotFound()
        draw = await rows.draw(row.id)
        # Read inside the transaction: leaving it expires the rows.
        return FairnessView(
            event_id=event.id,
            commitment=row.commitment,
            seed=row.seed if draw is not None else None,
            algorithm=ALGORITHM_TEXT,
            joiners=list(draw.joiners) if draw is not None else [],
            order=list(draw.ordering) if draw is not None else [],
            sale_opens_at=row.sale_opens_at,
            drawn_at=draw.drawn_at if draw is not None else None,
        )

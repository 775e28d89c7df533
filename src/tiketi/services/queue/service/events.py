"""The room's subscription: catalog's events (which events it serves) and booking's (a fan
who bought or whose hold expired stops counting against `max_active` at once)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.booking import ReservationConfirmed, SeatsReleased
from tiketi.contracts.catalog import EventCanceled, EventPublished, EventUpdated
from tiketi.contracts.events import IntegrationEvent
from tiketi.kernel.streams import Handler
from tiketi.services.queue.adapters.events import EventRows
from tiketi.services.queue.service.admission import end_admission
from tiketi.services.queue.service.common import Queue


def event_handlers(current: Callable[[], Queue]) -> dict[type[IntegrationEvent], Handler]:
    """Handlers run in the consumer's transaction (idempotent: the kernel records each event
    once); `current` gives the process's Queue, made at start-up. Ending an admission in
    Redis is idempotent, so a redelivery after a failed commit does no harm."""

    async def on_published(event: EventPublished, session: AsyncSession) -> None:
        await EventRows(session).create(event)

    async def on_updated(event: EventUpdated, session: AsyncSession) -> None:
        await EventRows(session).update(event)
        current().directory.forget(event.event_id)

    async def on_canceled(event: EventCanceled, session: AsyncSession) -> None:
        await EventRows(session).cancel(event.event_id)
        current().directory.forget(event.event_id)

    async def on_confirmed(event: ReservationConfirmed, _: AsyncSession) -> None:
        await end_admission(
            current(), event_id=event.event_id, user_id=event.user_id, reason="bought"
        )

    async def on_released(event: SeatsReleased, _: AsyncSession) -> None:
        if event.reason == "expired" and event.user_id:
            await end_admission(
                current(), event_id=event.event_id, user_id=event.user_id, reason="hold_expired"
            )

    return {
        EventPublished: on_published,
        EventUpdated: on_updated,
        EventCanceled: on_canceled,
        ReservationConfirmed: on_confirmed,
        SeatsReleased: on_released,
    }

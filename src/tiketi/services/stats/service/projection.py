"""The stats subscription's handlers: each event's facts into stats' tables."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from tiketi.contracts.booking import (
    ReservationCanceled,
    ReservationConfirmed,
    ReservationCreated,
    ReservationFact,
    SeatsHeld,
    SeatsReleased,
)
from tiketi.contracts.catalog import EventCanceled, EventPublished
from tiketi.contracts.events import IntegrationEvent
from tiketi.contracts.payment import PaymentApproved, PaymentFact, PaymentRefunded
from tiketi.kernel.streams import Handler
from tiketi.services.stats.adapters.projection import Projection
from tiketi.services.stats.adapters.queries import StatsQueries

# Called with the id of an event whose figures changed, after the change committed.
Changed = Callable[[uuid.UUID], None]


# The events changed in a session's transaction, announced once each when it commits.
_CHANGED = "tiketi.stats.changed"


def _after_commit(session: AsyncSession, changed: Changed | None, event_id: uuid.UUID) -> None:
    if changed is None:
        return
    # One listener per transaction, not one per message: a consumer applies a whole read in
    # one transaction, and registering a listener costs more than the message's insert.
    pending: set[uuid.UUID] | None = session.info.get(_CHANGED)
    if pending is None:
        pending = session.info[_CHANGED] = set()

        def announce(sync_session: Session) -> None:
            for each in sync_session.info.pop(_CHANGED, ()):
                changed(each)

        def discard(sync_session: Session, _previous: object = None) -> None:
            sync_session.info.pop(_CHANGED, None)  # rolled back: nothing changed

        orm_event.listen(session.sync_session, "after_commit", announce, once=True)
        orm_event.listen(session.sync_session, "after_rollback", discard, once=True)
    pending.add(event_id)


def stats_handlers(
    changed: Callable[[], Changed | None] = lambda: None,
) -> dict[type[IntegrationEvent], Handler]:
    """Handlers for every event stats consumes; `changed()` gives the push hook (None: none,
    as in a rebuild)."""

    async def on_published(event: EventPublished, session: AsyncSession) -> None:
        await Projection(session).event_published(event)
        _after_commit(session, changed(), uuid.UUID(event.event_id))

    async def on_event_canceled(event: EventCanceled, session: AsyncSession) -> None:
        await Projection(session).event_canceled(event)
        _after_commit(session, changed(), uuid.UUID(event.event_id))

    def on_reservation(fact: str) -> Handler:
        async def handle(event: ReservationFact, session: AsyncSession) -> None:
            await Projection(session).reservation(
                reservation_id=event.reservation_id,
                event_id=event.event_id,
                seat_ids=event.seat_ids,
                amount=event.amount,
                fact=fact,
                at=event.occurred_at,
                user_id=event.user_id,
                expires_at=event.expires_at if isinstance(event, ReservationCreated) else None,
            )
            _after_commit(session, changed(), uuid.UUID(event.event_id))

        return handle

    async def on_held(event: SeatsHeld, session: AsyncSession) -> None:
        await Projection(session).seats_held(event)
        _after_commit(session, changed(), uuid.UUID(event.event_id))

    async def on_released(event: SeatsReleased, session: AsyncSession) -> None:
        if await apply_released(session, event):
            _after_commit(session, changed(), uuid.UUID(event.event_id))

    async def on_approved(event: PaymentApproved, session: AsyncSession) -> None:
        await Projection(session).payment_approved(event)
        await _payment_changed(session, changed(), event)

    async def on_refunded(event: PaymentRefunded, session: AsyncSession) -> None:
        await Projection(session).payment_refunded(event)
        await _payment_changed(session, changed(), event)

    return {
        EventPublished: on_published,
        EventCanceled: on_event_canceled,
        ReservationCreated: on_reservation("created"),
        ReservationConfirmed: on_reservation("confirmed"),
        ReservationCanceled: on_reservation("canceled"),
        SeatsHeld: on_held,
        SeatsReleased: on_released,
        PaymentApproved: on_approved,
        PaymentRefunded: on_refunded,
    }


async def apply_released(session: AsyncSession, event: SeatsReleased) -> bool:
    """A plain hold's release (released, expired) or a reservation's (expired, canceled); an
    expired reservation's names both. An event's cancellation names neither (its holds stop
    counting with the event's status): False, nothing recorded."""
    if event.reservation_id is None and event.hold_id is None:
        return False
    projection = Projection(session)
    if event.hold_id is not None:
        await projection.hold_released(
            hold_id=event.hold_id, event_id=event.event_id, seat_ids=event.seat_ids
        )
    if event.reservation_id is not None:
        await projection.seats_released(
            reservation_id=event.reservation_id, event_id=event.event_id, seat_ids=event.seat_ids
        )
    return True


async def _payment_changed(
    session: AsyncSession, changed: Changed | None, event: PaymentFact
) -> None:
    # Payments name no event: their reservation does, if it was seen already.
    if changed is None:
        return
    event_id = await StatsQueries(session).event_of(event.reservation_id)
    if event_id is not None:
        _after_commit(session, changed, event_id)

"""Notify's consumer: what other services announce becomes recipients, events, reservations
and owed emails. Each handler runs in the consumer's transaction, which also records the
message id, so a redelivered event changes nothing; the emails' own (event, user) key makes
that doubly true."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.auth import UserRegistered
from tiketi.contracts.booking import (
    ReservationCanceled,
    ReservationConfirmed,
    ReservationCreated,
    TicketsIssued,
)
from tiketi.contracts.catalog import EventCanceled, EventPublished, EventUpdated
from tiketi.contracts.events import IntegrationEvent
from tiketi.contracts.payment import PaymentRefunded
from tiketi.kernel.streams import Handler
from tiketi.services.notify.adapters.directory import Directory, holders_query
from tiketi.services.notify.adapters.emails import Emails
from tiketi.services.notify.domain.models import EmailKind

# Booking cancels every reservation of a canceled event with this reason; the event-canceled
# email says it all, so those cancellations get no email of their own.
EVENT_CANCELED_REASON = "event_canceled"
# Booking voids a reservation whose payment was canceled at TossPayments; the refund email
# (PaymentRefunded, same reason) tells the fan, so the cancellation sends no second one.
PAYMENT_CANCELED_REASON = "payment_canceled"


async def on_user_registered(event: UserRegistered, session: AsyncSession) -> None:
    """A recipient: their address, name and language."""
    # The contract makes the address mandatory and a CHECK guards the table: a message
    # without one never decodes, and is dead-lettered by the consumer, not mailed.
    assert event.email, "UserRegistered always carries an email"
    await Directory(session).save_user(
        user_id=uuid.UUID(event.user_id), email=event.email, name=event.name, locale=event.locale
    )


async def on_event_published(event: EventPublished, session: AsyncSession) -> None:
    """The event's title, venue and start."""
    await Directory(session).save_event(
        event_id=uuid.UUID(event.event_id),
        title=event.title,
        starts_at=event.starts_at,
        as_of=event.occurred_at,
        venue_name=event.venue_name,
    )


async def on_event_updated(event: EventUpdated, session: AsyncSession) -> None:
    """A new title or start time (later emails show it)."""
    await Directory(session).save_event(
        event_id=uuid.UUID(event.event_id),
        title=event.title,
        starts_at=event.starts_at,
        as_of=event.occurred_at,
    )


async def on_event_canceled(event: EventCanceled, session: AsyncSession) -> None:
    """One email to every ticket holder of the event."""
    directory = Directory(session)
    event_id = uuid.UUID(event.event_id)
    await directory.cancel_event(
        event_id=event_id,
        title=event.title,
        canceled_at=event.canceled_at,
        reason=event.reason,
        message_id=event.message_id,
    )
    await Emails(session).enqueue_all(
        source_event_id=event.message_id,
        users=holders_query(event_id),
        kind=EmailKind.EVENT_CANCELED,
        data={"event_id": event.event_id},
    )


async def _holder_of_canceled_event(
    session: AsyncSession, *, event_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """A holder learnt of after the event's cancellation (its stream ran ahead) is mailed
    under the cancellation's key, so they get the one email the others got."""
    message_id = await Directory(session).cancel_message(event_id)
    if message_id is not None:
        await Emails(session).enqueue(
            source_event_id=message_id,
            user_id=user_id,
            kind=EmailKind.EVENT_CANCELED,
            data={"event_id": str(event_id)},
        )


async def on_reservation_created(event: ReservationCreated, session: AsyncSession) -> None:
    """Which event a reservation is for (a later refund email names it)."""
    await Directory(session).save_reservation(
        reservation_id=event.reservation_id,
        event_id=uuid.UUID(event.event_id),
        user_id=uuid.UUID(event.user_id),
        amount=event.amount,
    )


async def on_reservation_confirmed(event: ReservationConfirmed, session: AsyncSession) -> None:
    """A paid reservation: its holder is mailed if the event is canceled."""
    event_id, user_id = uuid.UUID(event.event_id), uuid.UUID(event.user_id)
    await Directory(session).save_reservation(
        reservation_id=event.reservation_id,
        event_id=event_id,
        user_id=user_id,
        amount=event.amount,
        confirmed=True,
    )
    await _holder_of_canceled_event(session, event_id=event_id, user_id=user_id)


async def on_tickets_issued(event: TicketsIssued, session: AsyncSession) -> None:
    """The confirmation email, with every ticket and its QR code."""
    await Emails(session).enqueue(
        source_event_id=event.message_id,
        user_id=uuid.UUID(event.user_id),
        kind=EmailKind.RESERVATION_CONFIRMED,
        data={
            "reservation_id": event.reservation_id,
            "event_id": event.event_id,
            "tickets": [ticket.model_dump(mode="json") for ticket in event.tickets],
        },
    )


async def on_reservation_canceled(event: ReservationCanceled, session: AsyncSession) -> None:
    """The fan's cancellation email (and whether a refund follows)."""
    event_id, user_id = uuid.UUID(event.event_id), uuid.UUID(event.user_id)
    await Directory(session).save_reservation(
        reservation_id=event.reservation_id,
        event_id=event_id,
        user_id=user_id,
        amount=event.amount,
        confirmed=event.refund,  # only a paid reservation is refunded
        cancel_reason=event.reason,
    )
    if event.reason == EVENT_CANCELED_REASON:
        if event.refund:
            await _holder_of_canceled_event(session, event_id=event_id, user_id=user_id)
        return
    if event.reason == PAYMENT_CANCELED_REASON:
        return
    await Emails(session).enqueue(
        source_event_id=event.message_id,
        user_id=user_id,
        kind=EmailKind.RESERVATION_CANCELED,
        data={
            "reservation_id": event.reservation_id,
            "event_id": event.event_id,
            "amount": event.amount,
            "refund": event.refund,
            "reason": event.reason,
        },
    )


async def on_payment_refunded(event: PaymentRefunded, session: AsyncSession) -> None:
    """The refund email, to the payer (known from the event or from the reservation)."""
    reservation = await Directory(session).reservation(event.reservation_id)
    user_id = event.user_id or (str(reservation.user_id) if reservation else None)
    if user_id is None:
        # A payment learnt of from TossPayments alone, for a reservation never announced:
        # nobody to write to. Recorded as processed; nothing else to do.
        return
    await Emails(session).enqueue(
        source_event_id=event.message_id,
        user_id=uuid.UUID(user_id),
        kind=EmailKind.PAYMENT_REFUNDED,
        data={
            "reservation_id": event.reservation_id,
            "event_id": str(reservation.event_id) if reservation else None,
            "amount": event.amount,
            "reason": event.reason,
        },
    )


def event_handlers() -> dict[type[IntegrationEvent], Handler]:
    """Notify's subscription: auth's users, catalog's events, booking's and payment's news."""
    return {
        UserRegistered: on_user_registered,
        EventPublished: on_event_published,
        EventUpdated: on_event_updated,
        EventCanceled: on_event_canceled,
        ReservationCreated: on_reservation_created,
        ReservationConfirmed: on_reservation_confirmed,
        TicketsIssued: on_tickets_issued,
        ReservationCanceled: on_reservation_canceled,
        PaymentRefunded: on_payment_refunded,
    }

"""What notify knows of users, events and reservations, kept from other services' events.

Every write is an upsert that tolerates any order and any repetition: streams are read side by
side, so an EventUpdated may come before its EventPublished and a ReservationCanceled before
its ReservationCreated.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.services.notify.adapters.orm import Event, Reservation, User
from tiketi.services.notify.domain.models import EventInfo, Recipient


class Directory:
    """Users, events and reservations, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save_user(self, *, user_id: uuid.UUID, email: str, name: str, locale: str) -> None:
        """Remember a recipient (a replay changes nothing)."""
        statement = insert(User).values(user_id=user_id, email=email, name=name, locale=locale)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[User.user_id],
                set_={"email": email, "name": name, "locale": locale},
            )
        )

    async def user(self, user_id: uuid.UUID) -> Recipient | None:
        """A recipient, if auth announced them."""
        row = await self.session.get(User, user_id)
        if row is None:
            return None
        return Recipient(str(row.user_id), row.email, row.name, row.locale)

    async def save_event(
        self,
        *,
        event_id: uuid.UUID,
        title: str,
        starts_at: datetime,
        as_of: datetime,
        venue_name: str | None = None,
    ) -> None:
        """Title and time as of `as_of` (an older message never overwrites a newer one); the
        venue is only ever named by EventPublished, so it is kept whenever it is given."""
        statement = insert(Event).values(
            event_id=event_id, title=title, starts_at=starts_at, as_of=as_of, venue_name=venue_name
        )
        newer = Event.as_of < statement.excluded.as_of
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Event.event_id],
                set_={
                    "title": case((newer, statement.excluded.title), else_=Event.title),
                    "starts_at": case(
                        (newer | Event.starts_at.is_(None), statement.excluded.starts_at),
                        else_=Event.starts_at,
                    ),
                    "as_of": case((newer, statement.excluded.as_of), else_=Event.as_of),
                    "venue_name": func.coalesce(statement.excluded.venue_name, Event.venue_name),
                },
            )
        )

    async def cancel_event(
        self,
        *,
        event_id: uuid.UUID,
        title: str,
        canceled_at: datetime,
        reason: str | None,
        message_id: uuid.UUID,
    ) -> None:
        """Mark the event canceled, remembering the message (the key of its emails)."""
        statement = insert(Event).values(
            event_id=event_id,
            title=title,
            as_of=canceled_at,
            canceled_at=canceled_at,
            cancel_reason=reason,
            cancel_message_id=message_id,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Event.event_id],
                set_={
                    "canceled_at": canceled_at,
                    "cancel_reason": reason,
                    "cancel_message_id": message_id,
                },
            )
        )

    async def event(self, event_id: uuid.UUID) -> EventInfo | None:
        """What emails say about an event, if catalog announced it."""
        row = await self.session.get(Event, event_id)
        if row is None:
            return None
        return EventInfo(
            event_id=str(row.event_id),
            title=row.title,
            venue_name=row.venue_name,
            starts_at=row.starts_at,
            canceled=row.canceled_at is not None,
            cancel_reason=row.cancel_reason,
        )

    async def cancel_message(self, event_id: uuid.UUID) -> uuid.UUID | None:
        """The EventCanceled message of a canceled event; None while it is not canceled."""
        row = await self.session.get(Event, event_id)
        return None if row is None else row.cancel_message_id

    async def save_reservation(
        self,
        *,
        reservation_id: str,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        amount: int,
        confirmed: bool = False,
        cancel_reason: str | None = None,
    ) -> None:
        """Record a reservation; `confirmed` and the cancel reason only ever get set."""
        statement = insert(Reservation).values(
            reservation_id=reservation_id,
            event_id=event_id,
            user_id=user_id,
            amount=amount,
            confirmed=confirmed,
            cancel_reason=cancel_reason,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Reservation.reservation_id],
                set_={
                    "confirmed": Reservation.confirmed | statement.excluded.confirmed,
                    "cancel_reason": func.coalesce(
                        Reservation.cancel_reason, statement.excluded.cancel_reason
                    ),
                },
            )
        )

    async def reservation(self, reservation_id: str) -> Reservation | None:
        """A reservation notify has heard of."""
        return await self.session.get(Reservation, reservation_id)

    async def holds_tickets(self, event_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """True when the user is among the event's holders (see holders_query)."""
        query = holders_query(event_id).where(Reservation.user_id == user_id)
        return (await self.session.scalar(query.limit(1))) is not None


def holders_query(event_id: uuid.UUID) -> Select[uuid.UUID]:
    """Users holding paid tickets of the event when it was canceled: confirmed reservations
    not canceled by the fan (booking cancels the others itself, with reason event_canceled)."""
    return (
        select(Reservation.user_id)
        .where(
            Reservation.event_id == event_id,
            Reservation.confirmed.is_(True),
            (Reservation.cancel_reason.is_(None)) | (Reservation.cancel_reason == "event_canceled"),
        )
        .distinct()
    )

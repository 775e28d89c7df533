"""A fan's side of the room: challenge, join, status, leave."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from tiketi.kernel.errors import DomainError, RateLimited
from tiketi.kernel.metrics import RATE_LIMITED
from tiketi.services.queue.adapters import metrics
from tiketi.services.queue.adapters.store import (
    ADMITTED,
    LIMITED,
    NO_PLACE,
    PRE_QUEUE,
    SALE_CLOSED,
    TOO_EARLY,
    PlaceReply,
)
from tiketi.services.queue.domain.errors import NotInQueue, PowInvalid, QueueClosed, QueueReset
from tiketi.services.queue.domain.models import (
    Phase,
    Place,
    PlaceStatus,
    QueueEvent,
    eta_seconds,
    from_ms,
    to_ms,
)
from tiketi.services.queue.domain.pow import MAX_CHALLENGE_LENGTH, new_challenge, solves
from tiketi.services.queue.service.admission import refill
from tiketi.services.queue.service.common import Queue, utcnow, with_state


@dataclass(frozen=True)
class Challenge:
    """A proof-of-work challenge for one fan and one event."""

    challenge: str
    difficulty: int
    expires_in: int


@dataclass(frozen=True)
class Proof:
    """A client's answer to a challenge."""

    challenge: str
    nonce: str


async def challenge(*, queue: Queue, user_id: str, event_id: str) -> Challenge:
    """A fresh single-use challenge bound to the fan and the event (difficulty 0: no check)."""
    event = await queue.directory.require(event_id)
    event.check_joinable()
    settings = queue.settings
    value = new_challenge()
    if settings.pow_difficulty > 0:
        await queue.store.add_challenge(event.id, value, user_id, settings.pow_ttl_seconds)
    return Challenge(value, settings.pow_difficulty, settings.pow_ttl_seconds)


async def join(
    *, queue: Queue, user_id: str, event_id: str, client_ip: str, proof: Proof | None = None
) -> Place:
    """Take a place in the event's room (the same one again when the fan already has one)."""
    try:
        place = await _join(queue, user_id, event_id, client_ip, proof)
    except DomainError as exc:
        metrics.JOINS.labels(exc.code).inc()
        raise
    outcome = place.phase.value if place.phase == Phase.PRE_QUEUE else place.status.value
    metrics.JOINS.labels(outcome).inc()
    return place


async def _join(
    queue: Queue, user_id: str, event_id: str, client_ip: str, proof: Proof | None
) -> Place:
    event = await queue.directory.require(event_id)
    event.check_joinable()
    if event.closed(utcnow()):
        raise _sale_closed(event)
    if queue.settings.pow_difficulty > 0:
        await _check_proof(queue, event, user_id, proof)
    settings = queue.settings

    async def run(current: QueueEvent) -> PlaceReply:
        return await queue.store.join(
            current.id,
            epoch=current.epoch,
            user_id=user_id,
            opens_ms=to_ms(current.sale_opens_at),
            closes_ms=to_ms(current.sale_closes_at),
            pre_window_ms=settings.pre_queue_seconds * 1000,
            max_active=current.max_active,
            ceiling=current.admit_per_second,
            ttl_ms=settings.admission_seconds * 1000,
            client_ip=client_ip,
            limits=queue.limits,
        )

    reply, event = await with_state(queue, event, run)
    if reply.code == LIMITED:
        RATE_LIMITED.labels("queue-join").inc()
        raise RateLimited(max(1, math.ceil(reply.retry_ms / 1000)))
    return _place(queue, event, user_id, reply)


async def _check_proof(queue: Queue, event: QueueEvent, user_id: str, proof: Proof | None) -> None:
    if proof is None:
        raise PowInvalid(
            "This waiting room needs a proof of work: GET its challenge, then join with "
            '{"pow": {"challenge", "nonce"}}.',
            details={"reason": "missing"},
        )
    if not proof.challenge or len(proof.challenge) > MAX_CHALLENGE_LENGTH:
        raise PowInvalid(details={"reason": "unknown_challenge"})
    # Consumed whether or not the nonce is right: a challenge is worth one try.
    owner = await queue.store.take_challenge(event.id, proof.challenge)
    if owner != user_id:
        raise PowInvalid(details={"reason": "unknown_challenge"})
    if not solves(proof.challenge, proof.nonce, queue.settings.pow_difficulty):
        raise PowInvalid(details={"reason": "wrong_nonce"})


async def status(*, queue: Queue, user_id: str, event_id: str) -> Place:
    """The fan's place; 404 NOT_IN_QUEUE without one, 409 QUEUE_RESET when Redis lost it."""
    event = await queue.directory.require(event_id)
    event.check_joinable()
    if event.closed(utcnow()):
        raise _sale_closed(event)

    async def run(current: QueueEvent) -> PlaceReply:
        return await queue.store.status(current.id, epoch=current.epoch, user_id=user_id)

    reply, event = await with_state(queue, event, run)
    if reply.code == NO_PLACE:
        if reply.reset:
            raise QueueReset(details={"epoch": event.epoch})
        raise NotInQueue()
    return _place(queue, event, user_id, reply)


async def leave(*, queue: Queue, user_id: str, event_id: str) -> None:
    """Leave the line or give the admission back; capacity goes to the next fan at once.
    Leaving twice (or without a place) is harmless."""
    event = await queue.directory.require(event_id)
    if await queue.store.leave(event.id, user_id):
        metrics.ENDED.labels("left").inc()
        await refill(queue, event.id)


def _sale_closed(event: QueueEvent) -> QueueClosed:
    return QueueClosed(
        "The sale of this event is over.",
        details={"reason": "sale_closed", "sale_closes_at": event.sale_closes_at.isoformat()},
    )


def _place(queue: Queue, event: QueueEvent, user_id: str, reply: PlaceReply) -> Place:
    if reply.code == SALE_CLOSED:
        raise _sale_closed(event)
    window = timedelta(seconds=queue.settings.pre_queue_seconds)
    if reply.code == TOO_EARLY:
        raise QueueClosed(
            "The waiting room opens before the sale; come back then.",
            details={
                "reason": "not_open_yet",
                "opens_at": event.pre_queue_opens_at(window).isoformat(),
                "sale_opens_at": event.sale_opens_at.isoformat(),
            },
        )
    if reply.code == PRE_QUEUE:
        return Place(
            status=PlaceStatus.WAITING, phase=Phase.PRE_QUEUE, ticket_number=None,
            position=None, eta_seconds=None, serving_number=reply.serving,
            opens_at=event.sale_opens_at,
        )  # fmt: skip
    if reply.code == ADMITTED:
        token = queue.sign(
            event_id=event.id, user_id=user_id, ticket=reply.ticket, expires_ms=reply.expires_ms
        )
        return Place(
            status=PlaceStatus.ADMITTED, phase=Phase.OPEN, ticket_number=reply.ticket,
            position=0, eta_seconds=0, serving_number=reply.serving,
            opens_at=event.sale_opens_at, admission_token=token,
            admission_expires_at=from_ms(reply.expires_ms),
        )  # fmt: skip
    per_person = reply.seconds_per_person or 1.0 / event.admit_per_second
    return Place(
        status=PlaceStatus.WAITING, phase=Phase.OPEN, ticket_number=reply.ticket,
        position=reply.position, eta_seconds=eta_seconds(reply.position, per_person),
        serving_number=reply.serving, opens_at=event.sale_opens_at,
    )  # fmt: skip

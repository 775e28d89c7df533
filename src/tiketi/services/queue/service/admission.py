"""Admission steps: let fans in within the budget and rate, tell them, end admissions."""

from __future__ import annotations

from collections.abc import Sequence

from tiketi.services.queue.adapters import metrics
from tiketi.services.queue.adapters.store import AdmitReply, Admitted
from tiketi.services.queue.domain.models import QueueEvent, from_ms, to_ms
from tiketi.services.queue.service.common import Queue, log, utcnow, with_state


async def admit_now(queue: Queue, event: QueueEvent) -> tuple[AdmitReply, QueueEvent]:
    """One admission step for one event: expired admissions out, then fans from the head of
    the line up to `max_active` at up to the current rate; each admitted fan is told. Safe
    from any process at any time (the script is atomic and the rate's bucket is in Redis)."""
    settings = queue.settings

    async def step(current: QueueEvent) -> AdmitReply:
        return await queue.store.admit(
            current.id,
            epoch=current.epoch,
            opens_ms=to_ms(current.sale_opens_at),
            max_active=current.max_active,
            ceiling=current.admit_per_second,
            ttl_ms=settings.admission_seconds * 1000,
            batch=settings.admit_batch,
        )

    reply, event = await with_state(queue, event, step)
    await announce(queue, event, reply.admitted)
    metrics.WAITING.labels(event.id).set(reply.waiting)
    metrics.ACTIVE.labels(event.id).set(reply.active)
    return reply, event


async def announce(queue: Queue, event: QueueEvent, admitted: Sequence[Admitted]) -> None:
    """`queue:admitted {event_id, admission_token, expires_at}` to each admitted fan (one
    notifier call for the whole step)."""
    if not admitted:
        return
    metrics.ADMITTED.labels(event.id).inc(len(admitted))
    sign = queue.signer.sign
    expiries: dict[int, str] = {}  # every fan of a step has the same expiry
    messages = []
    for fan in admitted:
        expires_at = expiries.get(fan.expires_ms)
        if expires_at is None:
            expires_at = expiries[fan.expires_ms] = from_ms(fan.expires_ms).isoformat()
        token = sign(
            event_id=event.id, user_id=fan.user_id, ticket=fan.ticket, expires_ms=fan.expires_ms
        )
        payload = {
            "event_id": event.id,
            "admission_token": token,
            "expires_at": expires_at,
            "ticket_number": fan.ticket,
        }
        messages.append((fan.user_id, payload))
    try:
        await queue.notifier.admitted(messages)
    except Exception as exc:  # the fans still find their tokens by polling status
        log.warning("queue_admitted_not_sent", event_id=event.id, error=str(exc))


async def end_admission(queue: Queue, *, event_id: str, user_id: str, reason: str) -> bool:
    """The fan bought their tickets or let their hold expire: the admission ends now and the
    capacity goes to the next fan at once. False when there was no admission (idempotent)."""
    if not await queue.store.end_admission(event_id, user_id):
        return False
    metrics.ENDED.labels(reason).inc()
    await refill(queue, event_id)
    return True


async def refill(queue: Queue, event_id: str) -> None:
    """Run an admission step for an event right away (capacity came back); a failure is
    only logged: the admitter's next tick does the same."""
    try:
        event = await queue.directory.get(event_id)
        if event is not None and event.enabled and not event.closed(utcnow()):
            await admit_now(queue, event)
    except Exception as exc:
        log.warning("queue_refill_failed", event_id=event_id, error=str(exc))

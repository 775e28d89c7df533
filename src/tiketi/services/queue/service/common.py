"""What every waiting-room use case shares: collaborators, the event directory, the epoch."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import structlog

from tiketi.contracts.admission import ADMISSION_TYP
from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.errors import Busy
from tiketi.kernel.singleflight import SingleFlight
from tiketi.services.queue.adapters.events import EventRows, view
from tiketi.services.queue.adapters.store import JoinLimits, OtherEpoch, QueueStore, StateMissing
from tiketi.services.queue.domain.errors import EventNotFound
from tiketi.services.queue.domain.models import FairnessView, QueueEvent, from_ms
from tiketi.services.queue.domain.ports import NoNotifier, QueueNotifier
from tiketi.services.queue.settings import QueueSettings

log = structlog.get_logger("tiketi.queue")
T = TypeVar("T")
# A process remembers at most this many events (unknown ids included) before starting over.
_CACHE_LIMIT = 10_000


def utcnow() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)


class EventDirectory:
    """The events the room serves, as PostgreSQL has them, cached for a second per process:
    a join costs no SQL, and a crowd on a cold event costs one load (single flight)."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        *,
        ttl: float,
        pre_window: timedelta,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uow = uow
        self.ttl = ttl
        self.pre_window = pre_window
        self.clock = clock
        self._events: dict[str, tuple[float, QueueEvent | None]] = {}
        self._rooms: tuple[float, list[QueueEvent]] | None = None
        self._flights = SingleFlight()

    async def get(self, event_id: str) -> QueueEvent | None:
        """The event, or None when the room knows no such event."""
        try:
            key = str(uuid.UUID(event_id))
        except ValueError:
            return None
        hit = self._events.get(key)
        if hit is not None and hit[0] > self.clock():
            return hit[1]
        return await self._flights.run(key, lambda: self._load(key))

    async def require(self, event_id: str) -> QueueEvent:
        """The event; 404 EVENT_NOT_FOUND when unknown."""
        event = await self.get(event_id)
        if event is None:
            raise EventNotFound()
        return event

    async def _load(self, key: str) -> QueueEvent | None:
        async with self.uow() as uow:
            event = await EventRows(uow.session).get(uuid.UUID(key))
        if len(self._events) >= _CACHE_LIMIT:
            self._events.clear()
        self._events[key] = (self.clock() + self.ttl, event)
        return event

    def remember(self, event: QueueEvent) -> None:
        """Replace the cached copy (after this process changed the event's epoch or draw)."""
        self._events[event.id] = (self.clock() + self.ttl, event)
        self._rooms = None

    def forget(self, event_id: str) -> None:
        """Drop the cached copy: the next read loads the event again."""
        self._events.pop(event_id, None)
        self._rooms = None

    async def rooms(self) -> list[QueueEvent]:
        """The queue-enabled events the admitter looks after now (cached like events)."""
        if self._rooms is not None and self._rooms[0] > self.clock():
            return self._rooms[1]
        async with self.uow() as uow:
            rooms = await EventRows(uow.session).rooms(now=utcnow(), pre_window=self.pre_window)
        self._rooms = (self.clock() + self.ttl, rooms)
        return rooms


def join_limits(settings: QueueSettings) -> JoinLimits:
    """The join limits of the settings, as the join script takes them."""
    per_ip, per_user = settings.join_per_ip_per_minute, settings.join_per_user_per_minute
    return JoinLimits(
        ip_rate=per_ip / 60, ip_burst=max(5, per_ip // 60),
        user_rate=per_user / 60, user_burst=settings.join_per_user_burst,
    )  # fmt: skip


# json.dumps of one string, without json.dumps's per-call overhead.
_quote = json.encoder.encode_basestring_ascii
_JWT_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


class AdmissionSigner:
    """Admission tokens, byte for byte what `issue_admission_token` makes, at a fraction of
    its cost (the admitter signs one per admitted fan): the key's HMAC state is prepared once
    and the claims JSON is written directly."""

    def __init__(self, key: str, ttl: timedelta) -> None:
        self.ttl = ttl
        self._mac = hmac.new(key.encode(), digestmod=hashlib.sha256)
        self._typ = _quote(ADMISSION_TYP)
        self._times: tuple[int, int, int] = (-1, 0, 0)

    def _iat_exp(self, expires_ms: int) -> tuple[int, int]:
        # The same datetime arithmetic as the contract's; every fan of a step shares it.
        if self._times[0] != expires_ms:
            issued = from_ms(expires_ms) - self.ttl
            self._times = (
                expires_ms,
                int(issued.timestamp()),
                int((issued + self.ttl).timestamp()),
            )
        return self._times[1], self._times[2]

    def sign(self, *, event_id: str, user_id: str, ticket: int, expires_ms: int) -> str:
        """The token of one stored admission (jti = ticket number)."""
        iat, exp = self._iat_exp(expires_ms)
        claims = (
            f'{{"sub":{_quote(user_id)},"evt":{_quote(event_id)},'
            f'"jti":"{ticket}","typ":{self._typ},"iat":{iat},"exp":{exp}}}'
        )
        signing_input = _JWT_HEADER + b"." + base64.urlsafe_b64encode(claims.encode()).rstrip(b"=")
        mac = self._mac.copy()
        mac.update(signing_input)
        signature = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=")
        return (signing_input + b"." + signature).decode()


@dataclass
class Queue:
    """One queue module's collaborators for one process."""

    settings: QueueSettings
    uow: Callable[[], UnitOfWork]
    store: QueueStore
    directory: EventDirectory
    limits: JoinLimits
    notifier: QueueNotifier = field(default_factory=NoNotifier)
    flights: SingleFlight = field(default_factory=SingleFlight)
    # Published pre-queue draws (they never change once made).
    draws: dict[str, FairnessView] = field(default_factory=dict)
    signer: AdmissionSigner = field(init=False)

    def __post_init__(self) -> None:
        # The expiry is the admission's start plus the TTL rounded up to a whole second, so
        # "issued" one second earlier than expiry - TTL is never in the future (booking
        # refuses tokens issued in the future) and is the same on every call.
        self.signer = AdmissionSigner(
            self.settings.queue_key.get_secret_value(),
            timedelta(seconds=self.settings.admission_seconds + 1),
        )

    def sign(self, *, event_id: str, user_id: str, ticket: int, expires_ms: int) -> str:
        """The admission token for a stored admission: the same one every time it is asked
        for (jti = ticket number, `exp` = the stored expiry)."""
        return self.signer.sign(
            event_id=event_id, user_id=user_id, ticket=ticket, expires_ms=expires_ms
        )


async def ensure_state(queue: Queue, event: QueueEvent) -> QueueEvent:
    """Make the event's Redis state match PostgreSQL's epoch; the event as it is now.

    No state and epoch 0: the room is new, its state is created. No state (or another epoch)
    after that: Redis lost the room; a new epoch starts with the `reset` mark, so fans whose
    place was lost hear QUEUE_RESET instead of getting a silent new place. The event's row
    lock makes processes that notice at once create one epoch, not several.
    """
    async with queue.uow() as uow:
        rows = EventRows(uow.session)
        row = await rows.lock(uuid.UUID(event.id))
        if row is None:
            raise EventNotFound()
        stored = await queue.store.epoch(event.id)
        if stored is None or stored != row.epoch:
            lost = row.epoch > 0
            row.epoch = max(row.epoch, stored or 0) + 1
            state = "open" if row.drawn_at is not None else "pre"
            await queue.store.init(event.id, epoch=row.epoch, state=state, reset=lost)
            await uow.commit()
            if lost:
                log.warning("queue_state_lost", event_id=event.id, epoch=row.epoch)
        fresh = view(row)
    queue.directory.remember(fresh)
    return fresh


async def with_state(
    queue: Queue, event: QueueEvent, call: Callable[[QueueEvent], Awaitable[T]]
) -> tuple[T, QueueEvent]:
    """Run a script with the event's epoch; when the state is missing or of another epoch,
    repair it (ensure_state) and run it once more."""
    try:
        return await call(event), event
    except (StateMissing, OtherEpoch):
        # A crowd noticing at once shares one repair per process.
        fresh = await queue.flights.run(f"state:{event.id}", lambda: ensure_state(queue, event))
    try:
        return await call(fresh), fresh
    except (StateMissing, OtherEpoch):  # lost again in between: let the client retry
        raise Busy("The waiting room is being restored; try again in a moment.") from None

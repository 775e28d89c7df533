"""The waiting room's Redis state: one event's keys under its hash tag, driven by Lua scripts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from tiketi.contracts.admission import (
    admitted_key,
    line_key,
    meta_key,
    pre_queue_key,
    queue_tag,
)
from tiketi.contracts.pressure import PRESSURE_KEY, BookingPressure, combine
from tiketi.kernel.redis import coalescer
from tiketi.services.queue.adapters import lua

WAITING, ADMITTED, PRE_QUEUE, NO_PLACE = 1, 2, 3, 0
_MISSING, _OTHER_EPOCH, SALE_CLOSED, TOO_EARLY, LIMITED = -1, -2, -3, -4, -5
LEASE_KEY = "queue:admitter:lease"


class StateMissing(Exception):
    """The event has no Redis state: never created, or lost (Redis restarted without it)."""


class OtherEpoch(Exception):
    """The event's Redis state is of another epoch than the caller's copy of the event."""

    def __init__(self, epoch: int) -> None:
        super().__init__(f"the room's state is of epoch {epoch}")
        self.epoch = epoch


def keys(event_id: str) -> list[str]:
    """Every key of one event's room, in the order the scripts expect them."""
    tag = queue_tag(event_id)
    return [
        meta_key(event_id),
        line_key(event_id),
        pre_queue_key(event_id),
        f"{tag}:frozen",
        f"{tag}:quit",
        f"{tag}:active",
        admitted_key(event_id),
    ]


def limit_keys(event_id: str, *, client_ip: str, user_id: str) -> list[str]:
    """The join limits' buckets of one fan (address, account) in one event's room."""
    tag = queue_tag(event_id)
    return [f"{tag}:limit:ip:{client_ip}", f"{tag}:limit:user:{user_id}"]


@dataclass(frozen=True)
class JoinLimits:
    """Joins per client address and per account: tokens a second and burst (rate 0: none)."""

    ip_rate: float = 0.0
    ip_burst: int = 1
    user_rate: float = 0.0
    user_burst: int = 1


def challenge_key(event_id: str, challenge: str) -> str:
    """Where a proof-of-work challenge waits for its single use."""
    return f"{queue_tag(event_id)}:pow:{challenge}"


@dataclass(frozen=True)
class PlaceReply:
    """A script's answer about one fan: code (WAITING, ADMITTED, PRE_QUEUE, SALE_CLOSED, …)."""

    code: int
    ticket: int = 0
    position: int = 0
    serving: int = 0
    expires_ms: int = 0
    seconds_per_person: float | None = None
    state: str = ""
    # NO_PLACE in a room whose state was lost and re-created: the fan's place may be gone.
    reset: bool = False
    # LIMITED: milliseconds until the fan may join again.
    retry_ms: int = 0


@dataclass(frozen=True)
class Admitted:
    """A fan the admission step let in."""

    user_id: str
    ticket: int
    expires_ms: int


@dataclass(frozen=True)
class AdmitReply:
    """One admission step of one event."""

    admitted: list[Admitted]
    dropped: int
    serving: int
    waiting: int
    active: int
    state: str
    rate: float
    # The room's admission counter after the step: every admission so far, whatever made it.
    admitted_total: int = 0


def _check(reply: Sequence[Any]) -> None:
    code = int(reply[0])
    if code == _MISSING:
        raise StateMissing()
    if code == _OTHER_EPOCH:
        raise OtherEpoch(int(reply[1]))


def _place(reply: Sequence[Any]) -> PlaceReply:
    _check(reply)
    if int(reply[0]) == LIMITED:
        return PlaceReply(LIMITED, retry_ms=int(reply[1]))
    if len(reply) < 7:
        return PlaceReply(int(reply[0]), reset=len(reply) > 1 and int(reply[1]) > 0)
    eta = str(reply[5])
    return PlaceReply(
        code=int(reply[0]),
        ticket=int(reply[1]),
        position=int(reply[2]),
        serving=int(reply[3]),
        expires_ms=int(reply[4]),
        seconds_per_person=float(eta) if eta else None,
        state=str(reply[6]),
    )


class QueueStore:
    """The scripts bound to one Redis client (every process shares the same state)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._join = redis.register_script(lua.JOIN)
        self._status = redis.register_script(lua.STATUS)
        self._leave = redis.register_script(lua.LEAVE)
        self._end = redis.register_script(lua.END_ADMISSION)
        self._admit = redis.register_script(lua.ADMIT)
        self._assign = redis.register_script(lua.ASSIGN)
        self._finish = redis.register_script(lua.FINISH_OPENING)
        self._init = redis.register_script(lua.INIT)
        self._pace = redis.register_script(lua.SET_PACE)

    async def join(
        self,
        event_id: str,
        *,
        epoch: int,
        user_id: str,
        opens_ms: int,
        closes_ms: int,
        pre_window_ms: int,
        max_active: int,
        ceiling: float,
        ttl_ms: int,
        client_ip: str,
        limits: JoinLimits,
    ) -> PlaceReply:
        """Take (or find again) the fan's place; may admit at once. One round trip: the join
        limits' buckets are taken in the same script (LIMITED when one is empty)."""
        args: list[str | int | float] = [
            epoch, user_id, opens_ms, closes_ms, pre_window_ms, max_active, ceiling, ttl_ms,
            limits.ip_rate, limits.ip_burst, limits.user_rate, limits.user_burst,
        ]  # fmt: skip
        names = keys(event_id) + limit_keys(event_id, client_ip=client_ip, user_id=user_id)
        # Joins and status polls of many fans at once share round trips (kernel.redis.Coalescer).
        return _place(await coalescer(self.redis).script(self._join, names, args))

    async def status(self, event_id: str, *, epoch: int, user_id: str) -> PlaceReply:
        """The fan's place, or NO_PLACE (with `reset` when the room lost its state once)."""
        reply = await coalescer(self.redis).script(self._status, keys(event_id), [epoch, user_id])
        return _place(reply)

    async def leave(self, event_id: str, user_id: str) -> bool:
        """Out of the room; True when an admission was given back."""
        return bool(int(await self._leave(keys=keys(event_id), args=[user_id])))

    async def end_admission(self, event_id: str, user_id: str) -> bool:
        """End the fan's admission (bought, or their hold expired); True when there was one."""
        return bool(int(await self._end(keys=keys(event_id), args=[user_id])))

    async def admit(
        self,
        event_id: str,
        *,
        epoch: int,
        opens_ms: int,
        max_active: int,
        ceiling: float,
        ttl_ms: int,
        batch: int,
    ) -> AdmitReply:
        """Drop expired admissions, then admit from the head of the line within budget and
        rate (freezing the pre-queue first when the sale just opened)."""
        args = [epoch, opens_ms, max_active, ceiling, ttl_ms, batch]
        reply = await self._admit(keys=keys(event_id), args=args)
        _check(reply)
        admitted: list[Admitted] = []
        if int(reply[0]) > 0:
            expires = int(reply[8])
            admitted = [
                Admitted(user, int(ticket), expires)
                for user, ticket in zip(
                    str(reply[9]).split("\n"), str(reply[10]).split("\n"), strict=True
                )
            ]
        return AdmitReply(
            admitted=admitted,
            dropped=int(reply[1]),
            serving=int(reply[2]),
            waiting=int(reply[3]),
            active=int(reply[4]),
            state=str(reply[5]),
            rate=float(reply[6]),
            admitted_total=int(reply[7]),
        )

    async def frozen(self, event_id: str) -> list[str]:
        """The pre-queue as it was frozen at opening."""
        members = await self.redis.smembers(keys(event_id)[3])
        return [str(member) for member in members]

    async def assign(self, event_id: str, *, epoch: int, first: int, users: Sequence[str]) -> int:
        """Give `users` tickets first, first+1, … (skipping leavers); how many were placed."""
        reply = await self._assign(keys=keys(event_id), args=[epoch, first, *users])
        _check(reply)
        return int(reply[0])

    async def finish_opening(self, event_id: str, *, epoch: int) -> None:
        """Mark the room open once every pre-queue fan has a ticket."""
        _check(await self._finish(keys=keys(event_id), args=[epoch]))

    async def init(self, event_id: str, *, epoch: int, state: str, reset: bool) -> bool:
        """Create the event's state at `epoch` (wiping any older one); False if already there."""
        created = await self._init(keys=keys(event_id), args=[epoch, state, int(reset)])
        return bool(int(created))

    async def epoch(self, event_id: str) -> int | None:
        """The epoch of the event's Redis state, None when there is none."""
        value = await self.redis.hget(keys(event_id)[0], "epoch")
        return int(value) if value is not None else None

    async def meta(self, event_id: str) -> dict[str, str]:
        """The event's meta hash (serving number, state, rate, …)."""
        raw = await self.redis.hgetall(keys(event_id)[0])
        return {str(field): str(value) for field, value in raw.items()}

    async def set_pace(self, event_id: str, *, rate: float, seconds_per_person: float) -> None:
        """Publish the admission rate and the ETA per person to every process."""
        await self._pace(keys=keys(event_id)[:1], args=[f"{rate:.6g}", f"{seconds_per_person:.6g}"])

    async def purge(self, event_id: str) -> None:
        """Forget a closed event's room."""
        await self.redis.delete(*keys(event_id))

    async def add_challenge(self, event_id: str, challenge: str, user_id: str, ttl: int) -> None:
        """Store a challenge for one user, single-use, for `ttl` seconds."""
        await self.redis.set(challenge_key(event_id, challenge), user_id, ex=ttl)

    async def take_challenge(self, event_id: str, challenge: str) -> str | None:
        """Consume a challenge (GETDEL: one use, right or wrong); whose it was, if anyone's."""
        value = await self.redis.getdel(challenge_key(event_id, challenge))
        return str(value) if value is not None else None

    async def pressure(self) -> BookingPressure | None:
        """Booking's fresh load reports, combined; None when nobody reported lately."""
        return combine(await self.redis.hgetall(PRESSURE_KEY))


class Lease:
    """A Redis lease: one holder at a time, renewed by the holder, free when it dies."""

    def __init__(self, redis: Redis, *, owner: str, ttl: float, key: str = LEASE_KEY) -> None:
        self.key = key
        self.owner = owner
        self.ttl_ms = max(1, int(ttl * 1000))
        self._acquire = redis.register_script(lua.LEASE_ACQUIRE)
        self._release = redis.register_script(lua.LEASE_RELEASE)

    async def hold(self) -> bool:
        """Take or renew the lease; True while this process holds it."""
        return bool(int(await self._acquire(keys=[self.key], args=[self.owner, self.ttl_ms])))

    async def release(self) -> None:
        """Give the lease up (a clean shutdown): another process takes over at once."""
        await self._release(keys=[self.key], args=[self.owner])

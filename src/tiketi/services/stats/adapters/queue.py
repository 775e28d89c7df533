"""The waiting room's figures for an event, read from the room's keys (contracts/admission.py)."""

from __future__ import annotations

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tiketi.contracts.admission import line_key, meta_key, pre_queue_key
from tiketi.services.stats.domain.figures import Queue

log = structlog.get_logger("tiketi.stats")


def _number(raw: object, cast: type[int] | type[float]) -> int | float:
    try:
        return cast(float(str(raw))) if raw is not None else cast(0)
    except ValueError:
        return cast(0)


async def queue_figures(redis: Redis, event_id: str) -> Queue:
    """The figures, zeros when there is no room (no waiting room) or Redis fails."""
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hmget(meta_key(event_id), ["admitted_total", "rate"])
            pipe.zcard(line_key(event_id))
            pipe.scard(pre_queue_key(event_id))
            (admitted_total, rate), waiting, pre = await pipe.execute()
    except RedisError as exc:
        log.warning("stats_queue_unavailable", event_id=event_id, error=type(exc).__name__)
        admitted_total, rate, waiting, pre = None, None, 0, 0
    return Queue(
        waiting=int(waiting or 0) + int(pre or 0),
        admitted_total=int(_number(admitted_total, int)),
        admit_per_second=float(_number(rate, float)),
    )

"""The waiting room's record of current admissions, read from Redis (contracts/admission.py)."""

from __future__ import annotations

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tiketi.contracts.admission import admitted_key
from tiketi.kernel.redis import coalescer

log = structlog.get_logger("tiketi.booking")


class AdmissionLedger:
    """Whether an admission token's jti is still the user's current admission for an event."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def is_current(self, *, event_id: str, user_id: str, jti: str) -> bool:
        """False once the fan left, bought, let the hold expire or was admitted again.

        When Redis does not answer, the signed, unexpired token is trusted: a waiting room
        outage must not stop fans who were already admitted from buying.
        """
        try:
            current = await coalescer(self.redis).command("HGET", admitted_key(event_id), user_id)
        except RedisError as exc:
            log.warning("admission_ledger_unavailable", error=type(exc).__name__)
            return True
        if current is None:
            return False
        value = current.decode() if isinstance(current, bytes) else str(current)
        return value == jti

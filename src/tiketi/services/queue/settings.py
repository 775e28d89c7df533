"""The waiting room's settings (TIKETI_QUEUE_…), read once per process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class QueueSettings(BaseSettings):
    """Admission tokens, the admitter's pace and control loop, the bot check and join limits."""

    model_config = SettingsConfigDict(
        env_prefix="TIKETI_QUEUE_", extra="ignore", frozen=True, populate_by_name=True
    )

    # Signs admission tokens; booking verifies them with the same key (TIKETI_QUEUE_KEY).
    queue_key: SecretStr = Field(
        default=SecretStr("dev-insecure-queue-key"),
        validation_alias=AliasChoices("TIKETI_QUEUE_KEY", "queue_key"),
    )
    # How long an admitted fan may shop before the place goes to the next one.
    admission_seconds: int = Field(default=600, ge=1, le=24 * 3600)
    # How often the admitter (one process at a time) admits, expires and broadcasts.
    tick_seconds: float = Field(default=0.2, gt=0, le=10)
    # Joins this long before sale_opens_at land in the pre-queue (shuffled at opening).
    pre_queue_seconds: int = Field(default=3600, ge=0, le=7 * 86400)
    # Proof-of-work bits a join must show (0: no bot check); challenges live this long.
    pow_difficulty: int = Field(
        default=0,
        ge=0,
        le=32,
        validation_alias=AliasChoices("TIKETI_QUEUE_POW_DIFFICULTY", "pow_difficulty"),
    )
    pow_ttl_seconds: int = Field(default=120, ge=1, le=3600)
    # Joins per client address (generous: a flash sale brings offices and carrier NATs, and a
    # benchmark from one address does thousands a second) and per account (0: no limit).
    join_per_ip_per_minute: int = Field(default=600_000, ge=0)
    join_per_user_per_minute: int = Field(default=30, ge=0)
    join_per_user_burst: int = Field(default=10, ge=1)
    # The control loop: read booking's pressure this often; halve the rate when holds' p95 is
    # above the target or more than `failure_ratio` of them fail; never below `min_rate`.
    control_seconds: float = Field(default=1.0, gt=0, le=60)
    latency_target_ms: float = Field(default=200.0, gt=0)
    failure_ratio: float = Field(default=0.05, gt=0, le=1)
    min_rate: float = Field(default=1.0, gt=0)
    # Additive increase per control step, as a fraction of the event's admit_per_second.
    rate_step: float = Field(default=0.1, gt=0, le=1)
    # The admitter's lease: another process takes over this long after the holder died.
    lease_seconds: float = Field(default=2.0, gt=0, le=60)
    # A quiet room still hears from the admitter this often (serving number and ETA).
    heartbeat_seconds: float = Field(default=5.0, gt=0, le=300)
    # How long a process trusts its copy of an event's policy and sale window.
    event_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    # Most admissions one script run makes (bounds how long Redis is busy with one event).
    admit_batch: int = Field(default=5000, ge=1, le=100_000)


@lru_cache(maxsize=1)
def get_settings() -> QueueSettings:
    """Read the queue's settings once per process."""
    return QueueSettings()

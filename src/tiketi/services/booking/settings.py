"""Booking's own settings (TIKETI_BOOKING_…; the queue key is TIKETI_QUEUE_KEY), read once."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BookingSettings(BaseSettings):
    """Hold lifetime, the sweeper's pace, the admission-token key and the ticket QR key."""

    model_config = SettingsConfigDict(
        env_prefix="TIKETI_BOOKING_", extra="ignore", frozen=True, populate_by_name=True
    )

    hold_seconds: int = Field(default=300, ge=5, le=3600)
    # How often expired holds are released in bulk and announced (correctness never waits on it).
    sweep_seconds: float = Field(default=5.0, gt=0, le=600)
    sweep_batch: int = Field(default=5000, ge=1, le=100000)
    # How often this process tells the waiting room how its holds are doing (contracts/pressure).
    pressure_report_seconds: float = Field(default=1.0, gt=0, le=60)
    # A lost race on best-available is retried this many times before 409.
    best_available_attempts: int = Field(default=3, ge=1, le=10)
    # Shared with the queue service, which signs admission tokens with it.
    queue_key: SecretStr = Field(
        default=SecretStr("dev-insecure-queue-key"),
        validation_alias=AliasChoices("TIKETI_QUEUE_KEY", "queue_key"),
    )
    # Signs tickets' QR tokens; rotating it invalidates every issued ticket's QR code.
    ticket_key: SecretStr = Field(
        default=SecretStr("dev-insecure-ticket-key"),
        validation_alias=AliasChoices("TIKETI_BOOKING_TICKET_KEY", "ticket_key"),
    )
    # Holds running at once in one process; more answer 503 BUSY at once (with Retry-After)
    # instead of queueing for a database connection until the pool times out.
    max_holds_in_flight: int = Field(default=256, ge=1, le=10000)
    # Database connections (of the process's pool) kept checked out for holds between them.
    hold_connections: int = Field(default=8, ge=1, le=100)
    # Per-grade availability (catalog's event page) is recounted at most this often per event
    # while seats change: a burst of holds costs a few grouped COUNTs, not one per hold.
    availability_refresh_seconds: float = Field(default=0.5, ge=0, le=60)
    # Seat-map snapshots are rebuilt on every version change; the TTL only bounds memory.
    snapshot_cache_seconds: int = Field(default=3600, ge=1, le=86400)


@lru_cache(maxsize=1)
def get_settings() -> BookingSettings:
    """Read booking's settings once per process."""
    return BookingSettings()

"""Stats' own settings (TIKETI_STATS_…), read once."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StatsSettings(BaseSettings):
    """How often an organizer's dashboard is pushed fresh figures."""

    model_config = SettingsConfigDict(env_prefix="TIKETI_STATS_", extra="ignore", frozen=True)

    # At most one `stats:updated` per event per this many seconds (the last change is always
    # pushed, at the end of its window).
    push_seconds: float = Field(default=1.0, gt=0, le=60)


@lru_cache(maxsize=1)
def get_settings() -> StatsSettings:
    """Read stats' settings once per process."""
    return StatsSettings()

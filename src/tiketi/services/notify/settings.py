"""Notify's own settings (TIKETI_NOTIFY_…; the SMTP server's under TIKETI_SMTP_…), read once."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class NotifySettings(BaseSettings):
    """Where mail goes (an SMTP server, or .eml files), who it is from, how failures retry."""

    model_config = SettingsConfigDict(
        env_prefix="TIKETI_NOTIFY_", extra="ignore", frozen=True, populate_by_name=True
    )

    # Unset: every email is written as an .eml file under mail_dir instead (development).
    smtp_host: str | None = Field(
        default=None, validation_alias=_alias("TIKETI_SMTP_HOST", "smtp_host")
    )
    smtp_port: int = Field(
        default=587, ge=1, le=65535, validation_alias=_alias("TIKETI_SMTP_PORT", "smtp_port")
    )
    smtp_user: str | None = Field(
        default=None, validation_alias=_alias("TIKETI_SMTP_USER", "smtp_user")
    )
    smtp_password: SecretStr | None = Field(
        default=None, validation_alias=_alias("TIKETI_SMTP_PASSWORD", "smtp_password")
    )
    # true: STARTTLS is required; false: never; unset: used when the server offers it.
    smtp_starttls: bool | None = Field(
        default=None, validation_alias=_alias("TIKETI_SMTP_STARTTLS", "smtp_starttls")
    )
    # TLS from the first byte (port 465) instead of STARTTLS.
    smtp_tls: bool = Field(default=False, validation_alias=_alias("TIKETI_SMTP_TLS", "smtp_tls"))
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    mail_from: str = "Tiketi <no-reply@tiketi.local>"
    # Where .eml files go without an SMTP host (default <TIKETI_VAR_DIR>/mail).
    mail_dir: Path | None = None
    # A folder of templates that replace the packaged ones of the same name.
    templates_dir: Path | None = None
    # Event times are shown in this zone (the venues are in Korea).
    timezone: str = "Asia/Seoul"
    # A failed email is retried after retry_base_seconds, doubling up to retry_max_seconds,
    # and dead-lettered (visible to admins) after max_attempts.
    max_attempts: int = Field(default=8, ge=1, le=100)
    retry_base_seconds: float = Field(default=30.0, ge=0, le=86400)
    retry_max_seconds: float = Field(default=3600.0, ge=0, le=86400)
    # The sender takes up to `batch` due emails each turn, and looks again every poll_seconds.
    batch: int = Field(default=20, ge=1, le=1000)
    # Emails of a batch in flight at once (each its own SMTP connection).
    concurrency: int = Field(default=4, ge=1, le=64)
    poll_seconds: float = Field(default=1.0, gt=0, le=600)
    # An email being sent by a sender that died is taken over after this long.
    lease_seconds: float = Field(default=300.0, gt=0, le=86400)

    @field_validator("smtp_host", "smtp_user")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    def mail_root(self, var_dir: Path, env: str) -> Path:
        """Where .eml files are written: mail_dir, else var_dir/mail; tests never touch ./var."""
        if self.mail_dir is not None:
            return self.mail_dir
        if env == "test":
            return Path(tempfile.gettempdir()) / "tiketi-test-mail"
        return var_dir / "mail"


@lru_cache(maxsize=1)
def get_settings() -> NotifySettings:
    """Read notify's settings once per process."""
    return NotifySettings()

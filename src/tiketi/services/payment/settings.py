"""The payment service's settings (TIKETI_PAYMENT_…, and TossPayments' under TIKETI_TOSS_…)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TOSS_API_URL = "https://api.tosspayments.com"
# The sandbox's key: public by design (it guards nothing but the local stand-in), and marked as
# a test key the way TossPayments marks theirs.
SANDBOX_SECRET_KEY = "test_sk_tiketi_sandbox_public"  # noqa: S105


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class PaymentSettings(BaseSettings):
    """Where TossPayments and booking are, how long to wait for them, how the reconciler paces."""

    model_config = SettingsConfigDict(
        env_prefix="TIKETI_PAYMENT_", extra="ignore", frozen=True, populate_by_name=True
    )

    # Unset: the sandbox is mounted at /sandbox/toss and the client calls it.
    toss_secret_key: SecretStr | None = Field(
        default=None, validation_alias=_alias("TIKETI_TOSS_SECRET_KEY", "toss_secret_key")
    )
    toss_client_key: str | None = Field(
        default=None, validation_alias=_alias("TIKETI_TOSS_CLIENT_KEY", "toss_client_key")
    )
    # Unset: TossPayments' own API with a secret key, else this process's sandbox in-process.
    toss_api_url: str | None = Field(
        default=None, validation_alias=_alias("TIKETI_TOSS_API_URL", "toss_api_url")
    )
    toss_timeout_seconds: float = Field(
        default=8.0, gt=0, le=60,
        validation_alias=_alias("TIKETI_TOSS_TIMEOUT_SECONDS", "toss_timeout_seconds"),
    )  # fmt: skip
    # Attempts per call for what is safe to repeat (same Idempotency-Key): PROVIDER_ERROR,
    # 5xx answers, connection failures and timeouts.
    toss_attempts: int = Field(
        default=3, ge=1, le=10, validation_alias=_alias("TIKETI_TOSS_ATTEMPTS", "toss_attempts")
    )
    toss_retry_backoff_seconds: float = Field(default=0.2, ge=0, le=10)
    # Unset: booking in this process (one-process mode), called through the app in-process.
    booking_url: str | None = None
    booking_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # The reconciler: how often it looks for payments whose outcome is unknown, and how many.
    reconcile_seconds: float = Field(default=10.0, gt=0, le=3600)
    reconcile_batch: int = Field(default=50, ge=1, le=1000)
    reconcile_max_backoff_seconds: float = Field(default=300.0, gt=0)
    # Payments settled at once per process: refunds booking asked for (an event canceled with
    # thousands of paid reservations) and the reconciler's batch. Each is its own transaction
    # and TossPayments call, so this bounds database connections and calls in flight.
    settle_concurrency: int = Field(default=8, ge=1, le=100)
    # The sandbox: its secret key, how long a "slow" answer sleeps (past our client timeout),
    # and how long an unconfirmed payment session lives (TossPayments: 10 minutes).
    sandbox_secret_key: SecretStr = SecretStr(SANDBOX_SECRET_KEY)
    sandbox_slow_seconds: float = Field(default=15.0, ge=0, le=600)
    sandbox_session_seconds: int = Field(default=600, ge=1)

    @field_validator("toss_api_url", "booking_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = value.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError("a URL starts with http:// or https://")
        return url

    @property
    def sandbox(self) -> bool:
        """True when no TossPayments key is set: the sandbox plays TossPayments."""
        return self.toss_secret_key is None or not self.toss_secret_key.get_secret_value()

    def secret_key(self) -> str:
        """The key the client authenticates with: TossPayments' or the sandbox's."""
        if self.toss_secret_key is not None and self.toss_secret_key.get_secret_value():
            return self.toss_secret_key.get_secret_value()
        return self.sandbox_secret_key.get_secret_value()

    @property
    def confirm_budget_seconds(self) -> float:
        """The longest one confirmation may take: every Toss attempt, booking, and a margin.
        A payment left in progress longer than this belongs to the reconciler."""
        toss = self.toss_attempts * (self.toss_timeout_seconds + self.toss_retry_backoff_seconds)
        return toss * 2 + self.booking_timeout_seconds * 2 + 5.0


@lru_cache(maxsize=1)
def get_settings() -> PaymentSettings:
    """Read the payment settings once per process."""
    return PaymentSettings()

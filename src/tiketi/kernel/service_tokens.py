"""Service-to-service credentials: short-lived HS256 JWTs signed with TIKETI_SERVICE_KEY.

A service token says "service:<name>" with the role "service". It can never pass for a user's
access token, nor the other way round: access tokens are asymmetric (ES256 from auth's JWKS)
with `typ: access`; service tokens are HMAC with `typ: service` and their own issuer, and the
verifier picks the check by algorithm, then insists on the matching type and issuer.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import jwt

from tiketi.kernel.settings import PlatformSettings

SERVICE_ALGORITHM = "HS256"
SERVICE_TYPE = "service"
SERVICE_ROLE = "service"
SERVICE_SUBJECT_PREFIX = "service:"
DEFAULT_LIFETIME_SECONDS = 300


def service_issuer(issuer: str) -> str:
    """The issuer of service tokens: distinct from access tokens' so neither passes as the other."""
    return f"{issuer}:service"


def service_signing_key(secret: str) -> bytes:
    """The HMAC key: a fixed-length derivation, so any length of TIKETI_SERVICE_KEY signs alike."""
    return hashlib.sha256(b"tiketi-service-token:" + secret.encode()).digest()


def mint_service_token(
    settings: PlatformSettings,
    *,
    service: str,
    lifetime: int = DEFAULT_LIFETIME_SECONDS,
    now: float | None = None,
) -> str:
    """A token naming `service`, valid for `lifetime` seconds, for calls to other services."""
    if not service or not service.replace("-", "").replace("_", "").isalnum():
        raise ValueError("a service name is letters, digits, '-' and '_'")
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": SERVICE_SUBJECT_PREFIX + service,
        "role": SERVICE_ROLE,
        "typ": SERVICE_TYPE,
        "iss": service_issuer(settings.jwt_issuer),
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": issued + lifetime,
    }
    key = service_signing_key(settings.service_key.get_secret_value())
    return jwt.encode(claims, key, algorithm=SERVICE_ALGORITHM)


class ServiceTokenSource:
    """Hands out this service's token, minting a new one when a third of its life is left."""

    def __init__(
        self,
        settings: PlatformSettings,
        *,
        service: str,
        lifetime: int = DEFAULT_LIFETIME_SECONDS,
    ) -> None:
        self._settings = settings
        self._service = service
        self._lifetime = lifetime
        self._token = ""
        self._renew_at = 0.0

    def __call__(self) -> str:
        """A token with at least a third of its lifetime left."""
        now = time.time()
        if now >= self._renew_at:
            self._token = mint_service_token(
                self._settings, service=self._service, lifetime=self._lifetime, now=now
            )
            self._renew_at = now + self._lifetime * 2 / 3
        return self._token

"""The auth service as a module of the platform: router, schema, key loading, exports."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.module import ServiceModule
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings, refuse_default_secrets
from tiketi.services.auth import service
from tiketi.services.auth.adapters.google import GoogleTokenVerifier
from tiketi.services.auth.adapters.keys import KeyPair, KeyRing
from tiketi.services.auth.adapters.orm import SCHEMA
from tiketi.services.auth.api.deps import AuthDeps
from tiketi.services.auth.api.routes import build_router
from tiketi.services.auth.settings import AuthSettings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"
PURGE_EVERY_SECONDS = 3600.0
# Expired tokens are kept a day, for looking into late reuse attempts.
PURGE_GRACE = timedelta(days=1)


async def purge_refresh_tokens(runtime: Runtime) -> None:
    """Delete long-expired refresh tokens, hourly (harmless when replicas overlap)."""
    while True:
        await service.purge_expired_refresh_tokens(
            uow=UnitOfWork(runtime.db.sessions), older_than=PURGE_GRACE
        )
        # A driver that swallowed our cancellation must not cost an hour-long shutdown.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError
        await asyncio.sleep(PURGE_EVERY_SECONDS)


def build(platform: PlatformSettings, settings: AuthSettings | None = None) -> ServiceModule:
    """The auth module; production refuses to start without a configured signing key."""
    settings = settings or get_settings()
    refuse_default_secrets(platform, {"TIKETI_AUTH_SIGNING_KEY": settings.signing_key})
    configured = (
        KeyPair.from_pem(settings.signing_key.get_secret_value()) if settings.signing_key else None
    )
    keys = KeyRing()
    google = (
        GoogleTokenVerifier(client_id=settings.google_client_id, jwks_url=settings.google_jwks_url)
        if settings.google_client_id
        else None
    )
    deps = AuthDeps(
        settings=settings,
        policy=service.TokenPolicy(
            keys=keys,
            issuer=platform.jwt_issuer,
            audience=platform.jwt_audience,
            access_lifetime=timedelta(seconds=settings.access_token_seconds),
            refresh_lifetime=timedelta(days=settings.refresh_token_days),
        ),
        hasher=service.password_hashing(settings),
        google=google,
    )

    async def load_keys(runtime: Runtime) -> None:
        await service.load_signing_keys(
            uow=UnitOfWork(runtime.db.sessions), keys=keys, configured=configured
        )

    async def jwks() -> dict[str, Any]:
        """The JWKS, in process: modules beside auth verify tokens without HTTP."""
        return keys.jwks()

    return ServiceModule(
        name="auth",
        router=build_router(deps),
        schema=SCHEMA,
        migrations=MIGRATIONS,
        outbox=True,
        startup=[load_keys],
        workers=[purge_refresh_tokens],
        exports={"jwks": jwks},
        # The web app's "Sign in with Google" button needs the (public) client id.
        public_config={"googleClientId": settings.google_client_id}
        if settings.google_client_id
        else {},
    )

"""What the auth routes need: the module's collaborators, units of work, login limits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from fastapi import Request

from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.deps import get_runtime
from tiketi.kernel.ratelimit import TokenBucket, client_ip
from tiketi.kernel.runtime import Runtime
from tiketi.services.auth.adapters.google import GoogleTokenVerifier
from tiketi.services.auth.adapters.hashing import PasswordHashing
from tiketi.services.auth.domain.errors import GoogleNotConfigured
from tiketi.services.auth.service import TokenPolicy
from tiketi.services.auth.settings import AuthSettings


@dataclass(frozen=True)
class AuthDeps:
    """One auth module's collaborators, built once by module.build()."""

    settings: AuthSettings
    policy: TokenPolicy
    hasher: PasswordHashing
    google: GoogleTokenVerifier | None = None

    def google_verifier(self) -> GoogleTokenVerifier:
        """The Google verifier; 503 GOOGLE_NOT_CONFIGURED without a client id."""
        if self.google is None:
            raise GoogleNotConfigured()
        return self.google


def unit_of_work(runtime: Runtime) -> UnitOfWork:
    """A fresh unit of work on the process's database."""
    return UnitOfWork(runtime.db.sessions)


async def check_login_limits(request: Request, settings: AuthSettings, email: str | None) -> None:
    """429 RATE_LIMITED with Retry-After when this IP, or attempts on this email, come too fast.

    The buckets live in Redis, so every replica counts against the same limit.
    """
    runtime = get_runtime(request)
    per_ip = settings.login_per_ip_per_minute
    ip_bucket = TokenBucket(runtime.redis, name="auth-login-ip", rate=per_ip / 60, burst=per_ip)
    await ip_bucket.check(client_ip(request, runtime.settings.trusted_proxy_hops))
    if email is None:
        return
    per_email = settings.login_per_email_per_minute
    email_bucket = TokenBucket(
        runtime.redis, name="auth-login-email", rate=per_email / 60, burst=per_email
    )
    # Keyed by a digest: Redis need not hold the addresses people try.
    await email_bucket.check(hashlib.sha256(email.encode("utf-8")).hexdigest()[:32])

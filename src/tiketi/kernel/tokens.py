"""Local verification of access tokens against auth's JWKS: no call to auth per request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from tiketi.kernel.errors import DependencyUnavailable, Unauthorized
from tiketi.kernel.service_tokens import (
    SERVICE_ALGORITHM,
    SERVICE_ROLE,
    SERVICE_SUBJECT_PREFIX,
    SERVICE_TYPE,
    service_issuer,
    service_signing_key,
)

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]

# Only asymmetric algorithms: a token may never choose `none` or an HMAC keyed by our public key.
ALLOWED_ALGORITHMS = ["ES256", "EdDSA"]
ROLES = ("customer", "organizer", "staff", "admin")
# Verified access tokens remembered per process: an ES256 check costs ~0.15 ms of CPU, more
# than the rest of a hold's Python work; a fan's token comes back on every click.
VERIFIED_CACHE_SIZE = 10_000


class InvalidToken(Unauthorized):
    """The token is malformed, forged, or signed by a key we do not know."""

    code = "INVALID_TOKEN"
    message = "The access token is not valid."


class TokenExpired(Unauthorized):
    """The token was valid once but its lifetime is over."""

    code = "TOKEN_EXPIRED"
    message = "The access token has expired."


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the access token says."""

    id: str
    role: str
    email: str | None = None

    def has_role(self, *roles: str) -> bool:
        """Admins may do everything; others need one of the roles."""
        return self.role == "admin" or self.role in roles


def http_jwks_fetcher(url: str, *, timeout: float = 3.0) -> JwksFetcher:
    """Fetch the JWKS document over HTTP (the split mode)."""

    async def fetch() -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                response = await client.get(url)
                response.raise_for_status()
                data: dict[str, Any] = response.json()
                return data
        except httpx.HTTPError as exc:
            raise DependencyUnavailable("The key set that verifies tokens is unavailable.") from exc

    return fetch


class TokenVerifier:
    """Verifies access tokens with cached keys, refreshing the set when a `kid` is unknown."""

    def __init__(
        self,
        fetch_jwks: JwksFetcher,
        *,
        issuer: str,
        audience: str,
        leeway: float = 5.0,
        min_refresh_interval: float = 10.0,
        service_key: str | None = None,
    ) -> None:
        self._fetch = fetch_jwks
        # None: service tokens are refused (a process that was given no TIKETI_SERVICE_KEY).
        self._service_key = service_signing_key(service_key) if service_key else None
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._min_refresh = min_refresh_interval
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = -1e9
        self._lock = asyncio.Lock()
        # token -> (principal, kid, the moment it stops verifying); insertion order = age.
        self._verified: dict[str, tuple[Principal, str, float]] = {}

    async def _refresh(self) -> None:
        async with self._lock:
            # Forged kids must not turn every request into a JWKS fetch.
            if time.monotonic() - self._fetched_at < self._min_refresh and self._keys:
                return
            document = await self._fetch()
            keys: dict[str, PyJWK] = {}
            for entry in document.get("keys", []):
                kid = entry.get("kid")
                if isinstance(kid, str):
                    keys[kid] = PyJWK.from_dict(entry)
            self._keys = keys
            self._fetched_at = time.monotonic()
            # A key taken out of the set takes the tokens it signed with it.
            self._verified = {
                token: entry for token, entry in self._verified.items() if entry[1] in keys
            }

    async def _key_for(self, kid: str) -> PyJWK:
        if kid not in self._keys:
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("The access token was signed by an unknown key.")
        return key

    async def verify(self, token: str) -> Principal:
        """Return the caller named by a valid access or service token, or raise 401."""
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, _, ends = remembered
            if time.time() <= ends:
                return principal
            del self._verified[token]
            raise TokenExpired()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        if header.get("alg") == SERVICE_ALGORITHM:
            return self._verify_service(token)
        kid = header.get("kid")
        if header.get("alg") not in ALLOWED_ALGORITHMS or not isinstance(kid, str):
            raise InvalidToken()
        key = await self._key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALLOWED_ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        role = claims.get("role")
        if claims.get("typ") != "access" or role not in ROLES:
            raise InvalidToken()
        email = claims.get("email")
        principal = Principal(
            id=str(claims["sub"]), role=str(role), email=email if isinstance(email, str) else None
        )
        self._remember(token, principal, kid, float(claims["exp"]) + self._leeway)
        return principal

    def _remember(self, token: str, principal: Principal, kid: str, ends: float) -> None:
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, kid, ends)

    def _verify_service(self, token: str) -> Principal:
        """A service token: our HMAC key, the service issuer, `typ: service`, a service subject."""
        if self._service_key is None:
            raise InvalidToken()
        try:
            claims = jwt.decode(
                token,
                key=self._service_key,
                algorithms=[SERVICE_ALGORITHM],
                audience=self._audience,
                issuer=service_issuer(self._issuer),
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        subject = str(claims["sub"])
        if (
            claims.get("typ") != SERVICE_TYPE
            or claims.get("role") != SERVICE_ROLE
            or not subject.startswith(SERVICE_SUBJECT_PREFIX)
        ):
            raise InvalidToken()
        return Principal(id=subject, role=SERVICE_ROLE)

"""Verifies Google ID tokens against Google's published keys (cached; refetched on a new kid)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from tiketi.kernel.errors import DependencyUnavailable
from tiketi.services.auth.domain.errors import InvalidGoogleToken
from tiketi.services.auth.domain.models import GoogleIdentity

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
# Google signs ID tokens with RS256 only; anything else is not Google's.
GOOGLE_ALGORITHMS = ["RS256"]


class GoogleTokenVerifier:
    """Checks signature, issuer, audience (our client id) and expiry of a Google ID token."""

    def __init__(
        self,
        *,
        client_id: str,
        jwks_url: str,
        timeout: float = 3.0,
        cache_seconds: float = 3600.0,
        min_refresh_seconds: float = 10.0,
        leeway: float = 5.0,
    ) -> None:
        self.client_id = client_id
        self.jwks_url = jwks_url
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._min_refresh = min_refresh_seconds
        self._leeway = leeway
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = -1e9
        self._lock = asyncio.Lock()

    async def _fetch(self) -> dict[str, PyJWK]:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(self.jwks_url)
                response.raise_for_status()
                document: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DependencyUnavailable("Google's signing keys could not be fetched.") from exc
        keys: dict[str, PyJWK] = {}
        for entry in document.get("keys", []):
            kid = entry.get("kid") if isinstance(entry, dict) else None
            if isinstance(kid, str):
                try:
                    keys[kid] = PyJWK.from_dict(entry)
                except jwt.PyJWTError:
                    continue
        return keys

    async def _refresh(self, *, forced: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            # A forged kid must not turn every request into a fetch from Google.
            if age < self._min_refresh or (not forced and age < self._cache_seconds):
                return
            self._keys = await self._fetch()
            self._fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> PyJWK:
        if time.monotonic() - self._fetched_at >= self._cache_seconds:
            await self._refresh(forced=False)
        if kid not in self._keys:
            await self._refresh(forced=True)
        key = self._keys.get(kid)
        if key is None:
            raise InvalidGoogleToken("The Google ID token was signed by an unknown key.")
        return key

    async def verify(self, id_token: str) -> GoogleIdentity:
        """The person a valid Google ID token names, or 401 INVALID_GOOGLE_TOKEN."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise InvalidGoogleToken() from exc
        kid = header.get("kid")
        if header.get("alg") not in GOOGLE_ALGORITHMS or not isinstance(kid, str):
            raise InvalidGoogleToken()
        key = await self._key_for(kid)
        try:
            claims = jwt.decode(
                id_token,
                key=key,
                algorithms=GOOGLE_ALGORITHMS,
                audience=self.client_id,
                issuer=GOOGLE_ISSUERS,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidGoogleToken("The Google ID token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidGoogleToken() from exc
        return identity_from_claims(claims)


def identity_from_claims(claims: dict[str, Any]) -> GoogleIdentity:
    """The identity in verified claims; a token without an email cannot sign anyone in."""
    email = claims.get("email")
    subject = claims.get("sub")
    if not isinstance(email, str) or "@" not in email or not isinstance(subject, str):
        raise InvalidGoogleToken("The Google ID token carries no email; ask for the email scope.")
    verified = claims.get("email_verified")
    # Older tokens carried the flag as the string "true".
    email_verified = verified is True or (isinstance(verified, str) and verified.lower() == "true")
    name = claims.get("name")
    return GoogleIdentity(
        subject=subject,
        email=email,
        email_verified=email_verified,
        name=name if isinstance(name, str) else None,
    )

"""Auth over HTTP: apps with chosen auth settings, and a fake Google key server on loopback."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.conftest import start_client
from tiketi.kernel.app_factory import create_app
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.auth.module import build
from tiketi.services.auth.settings import AuthSettings

PASSWORD = "a sturdy passphrase"
GOOGLE_CLIENT_ID = "tiketi-test.apps.googleusercontent.com"


class AuthClientFactory(Protocol):
    def __call__(
        self, auth: AuthSettings | None = None, platform: PlatformSettings | None = None
    ) -> Awaitable[httpx.AsyncClient]: ...


@pytest.fixture
async def auth_client(settings: PlatformSettings) -> AsyncIterator[AuthClientFactory]:
    """Clients to apps serving only auth, built with the given auth (and platform) settings."""
    opened: list[tuple[httpx.AsyncClient, Any]] = []

    async def factory(
        auth: AuthSettings | None = None, platform: PlatformSettings | None = None
    ) -> httpx.AsyncClient:
        chosen = platform or settings
        app = create_app(chosen, [build(chosen, auth or AuthSettings())], edge=False)
        client, ctx = await start_client(app)
        opened.append((client, ctx))
        return client

    yield factory
    for client, ctx in reversed(opened):
        await client.aclose()
        await ctx.__aexit__(None, None, None)


def unique_email(prefix: str = "fan") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


async def register(
    client: httpx.AsyncClient, email: str | None = None, *, name: str = "Fan"
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email or unique_email(), "password": PASSWORD, "name": name},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


class GoogleKeys:
    """Google's JWKS endpoint, played by a thread on a random loopback port."""

    def __init__(self) -> None:
        self.kid = "google-key-1"
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.extra: list[dict[str, Any]] = []
        self.hits = 0
        keys = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                keys.hits += 1
                body = json.dumps(keys.document()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oauth2/v3/certs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
        return jwk

    def document(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk(self.key, self.kid), *self.extra]}

    def token(
        self,
        email: str,
        *,
        audience: str = GOOGLE_CLIENT_ID,
        issuer: str = "https://accounts.google.com",
        expires_in: int = 3600,
        verified: bool = True,
        subject: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience,
            "azp": audience,
            "sub": subject or str(uuid.uuid4().int)[:21],
            "email": email,
            "email_verified": verified,
            "name": "Google Fan",
            "iat": now - 60,
            "exp": now + expires_in,
            **extra,
        }
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )


@pytest.fixture(scope="module")
def google_keys() -> Iterator[GoogleKeys]:
    keys = GoogleKeys()
    keys.thread.start()
    try:
        yield keys
    finally:
        keys.server.shutdown()
        keys.server.server_close()


@pytest.fixture
async def google_client(
    auth_client: AuthClientFactory, google_keys: GoogleKeys
) -> httpx.AsyncClient:
    """An app whose Google sign-in trusts the local key server."""
    return await auth_client(
        AuthSettings(google_client_id=GOOGLE_CLIENT_ID, google_jwks_url=google_keys.url)
    )


AsyncCall = Callable[..., Awaitable[httpx.Response]]

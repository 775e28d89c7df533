"""Service tokens: minted with TIKETI_SERVICE_KEY, verified beside access tokens, never confused."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from tests.unit.test_tokens import claims, jwks
from tiketi.kernel.service_tokens import (
    ServiceTokenSource,
    mint_service_token,
    service_issuer,
    service_signing_key,
)
from tiketi.kernel.settings import InsecureSettingsError, PlatformSettings
from tiketi.kernel.tokens import InvalidToken, TokenExpired, TokenVerifier

KEY = ec.generate_private_key(ec.SECP256R1())
SETTINGS = PlatformSettings(service_key=SecretStr("a-service-key-for-the-unit-tests"))


def verifier(service_key: str | None = "a-service-key-for-the-unit-tests") -> TokenVerifier:
    async def fetch() -> dict[str, Any]:
        return jwks(("k1", KEY))

    return TokenVerifier(fetch, issuer="tiketi", audience="tiketi", service_key=service_key)


def service_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "service:payment",
        "role": "service",
        "typ": "service",
        "iss": service_issuer("tiketi"),
        "aud": "tiketi",
        "iat": now,
        "exp": now + 300,
    }
    base.update(overrides)
    return base


def signed(payload: dict[str, Any], secret: str = "a-service-key-for-the-unit-tests") -> str:
    return jwt.encode(payload, service_signing_key(secret), algorithm="HS256")


async def test_minted_token_names_the_service() -> None:
    principal = await verifier().verify(mint_service_token(SETTINGS, service="payment"))
    assert (principal.id, principal.role, principal.email) == ("service:payment", "service", None)
    assert not principal.has_role("customer", "organizer", "staff")


@pytest.mark.parametrize(
    "wrong",
    [
        {"typ": "access"},
        {"role": "admin"},
        {"sub": "user-1"},
        {"iss": "tiketi"},  # an access token's issuer
        {"aud": "other"},
    ],
)
async def test_service_token_with_wrong_claims_is_refused(wrong: dict[str, Any]) -> None:
    # Built when the test runs: claims made at collection time would have expired by now.
    with pytest.raises(InvalidToken):
        await verifier().verify(signed(service_claims(**wrong)))


async def test_expired_and_foreign_key_tokens_are_refused() -> None:
    with pytest.raises(TokenExpired):
        await verifier().verify(signed(service_claims(exp=int(time.time()) - 60)))
    with pytest.raises(InvalidToken):
        await verifier().verify(signed(service_claims(), secret="another-deployment-key"))
    # A process that was given no service key accepts no service token at all.
    with pytest.raises(InvalidToken):
        await verifier(service_key=None).verify(mint_service_token(SETTINGS, service="payment"))


async def test_access_and_service_tokens_cannot_pass_as_each_other() -> None:
    # An ES256 token from auth's key claiming to be a service is not an access token either.
    as_service = jwt.encode(
        claims(typ="service", role="service"), KEY, algorithm="ES256", headers={"kid": "k1"}
    )
    with pytest.raises(InvalidToken):
        await verifier().verify(as_service)
    # An HMAC token shaped like an access token, signed with the service key, is refused.
    with pytest.raises(InvalidToken):
        await verifier().verify(signed(claims()))
    # A real access token still works beside them.
    user = await verifier().verify(
        jwt.encode(claims(), KEY, algorithm="ES256", headers={"kid": "k1"})
    )
    assert user.role == "customer"


def test_token_source_reuses_a_fresh_token_and_names_are_checked() -> None:
    source = ServiceTokenSource(SETTINGS, service="payment")
    assert source() == source()
    with pytest.raises(ValueError):
        mint_service_token(SETTINGS, service="pay ment")


def test_production_refuses_the_default_service_key() -> None:
    from tiketi.kernel.app_factory import create_app
    from tiketi.kernel.module import ServiceModule

    production = PlatformSettings(env="production")
    with pytest.raises(InsecureSettingsError, match="TIKETI_SERVICE_KEY"):
        create_app(production, [ServiceModule(name="x")])
    # The split gateway verifies no service token and needs no key.
    create_app(production, [ServiceModule(name="gateway", uses_database=False)])
    create_app(
        production.model_copy(update={"service_key": SecretStr("generated-elsewhere")}),
        [ServiceModule(name="x")],
    )

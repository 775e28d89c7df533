"""The ES256 keys that sign access tokens, and the JWKS that lets every service verify them."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ALGORITHM = "ES256"


class SigningKeyError(ValueError):
    """The configured signing key is not an EC P-256 private key in PEM."""


def _b64url_uint(value: int, length: int = 32) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(length, "big")).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class KeyPair:
    """An ES256 signing key: a P-256 private key and its kid (the RFC 7638 thumbprint)."""

    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> KeyPair:
        """A fresh random key."""
        return cls.from_private_key(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: str) -> KeyPair:
        """Load a PEM private key; refuse anything but EC P-256."""
        try:
            key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError("the signing key is not a PEM private key") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise SigningKeyError("the signing key must be an EC P-256 private key (ES256)")
        return cls.from_private_key(key)

    @classmethod
    def from_private_key(cls, key: ec.EllipticCurvePrivateKey) -> KeyPair:
        """Wrap a key, deriving its kid from the public part."""
        numbers = key.public_key().public_numbers()
        # RFC 7638: the members in lexicographic order, no whitespace.
        canonical = json.dumps(
            {
                "crv": "P-256",
                "kty": "EC",
                "x": _b64url_uint(numbers.x),
                "y": _b64url_uint(numbers.y),
            },
            separators=(",", ":"),
            sort_keys=True,
        )
        digest = hashlib.sha256(canonical.encode("ascii")).digest()
        kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return cls(kid=kid, private_key=key)

    def to_pem(self) -> str:
        """The private key as unencrypted PKCS#8 PEM."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with kid, alg and use."""
        jwk: dict[str, Any] = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "alg": ALGORITHM, "use": "sig"})
        return jwk

    def sign(self, claims: Mapping[str, Any]) -> str:
        """A compact JWS of the claims with the kid in the header."""
        return jwt.encode(
            dict(claims), self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid}
        )


class KeyRing:
    """The key that signs now, and every key whose tokens must still verify."""

    def __init__(self) -> None:
        self._current: KeyPair | None = None
        self._published: tuple[KeyPair, ...] = ()

    def install(self, current: KeyPair, published: Iterable[KeyPair] = ()) -> None:
        """Use `current` to sign; publish it and any older keys."""
        keys = {current.kid: current}
        for key in published:
            keys.setdefault(key.kid, key)
        self._current = current
        self._published = tuple(keys.values())

    @property
    def loaded(self) -> bool:
        """True once a signing key is installed."""
        return self._current is not None

    @property
    def current(self) -> KeyPair:
        """The signing key; the module's start-up hook installs it."""
        if self._current is None:
            raise RuntimeError("the auth signing key is not loaded yet (start-up has not run)")
        return self._current

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Sign claims with the current key."""
        return self.current.sign(claims)

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document."""
        return {"keys": [key.public_jwk() for key in self._published]}

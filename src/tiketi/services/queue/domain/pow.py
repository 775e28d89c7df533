"""The bot check: a proof of work over a single-use challenge (API.md "Bot check")."""

from __future__ import annotations

import hashlib
import secrets

# Longer challenges or nonces are not ours / not needed: refuse before hashing anything.
MAX_CHALLENGE_LENGTH = 64
MAX_NONCE_LENGTH = 64


def new_challenge() -> str:
    """A random challenge (URL-safe, 128 bits)."""
    return secrets.token_urlsafe(16)


def leading_zero_bits(digest: bytes) -> int:
    """How many zero bits the digest starts with."""
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solves(challenge: str, nonce: str, difficulty: int) -> bool:
    """True when SHA-256 of `challenge + ":" + nonce` (UTF-8) starts with `difficulty` zero
    bits."""
    if len(nonce) > MAX_NONCE_LENGTH:
        return False
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    return leading_zero_bits(digest) >= difficulty


def solve(challenge: str, difficulty: int) -> str:
    """A nonce that solves the challenge (what a client does; tests and benchmarks use it)."""
    nonce = 0
    while not solves(challenge, str(nonce), difficulty):
        nonce += 1
    return str(nonce)

"""The verifiable pre-queue shuffle ("tiketi-shuffle-v1"; docs/waiting-room.md has the spec).

When the event is first seen, a random 32-byte seed is drawn and its SHA-256 published as the
commitment. At opening the fans of the pre-queue, each named by an anonymised id, are sorted
and then shuffled by Fisher–Yates driven by HMAC-SHA256(seed, counter) with rejection sampling
(no modulo bias); ticket numbers 1..k follow that order and the seed is revealed. Anyone can
check SHA-256(seed) against the commitment and recompute the order from the list of joiners.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence

ALGORITHM = "tiketi-shuffle-v1"
ALGORITHM_TEXT = (
    "tiketi-shuffle-v1: joiners = sorted(sha256_hex(event_id + ':' + user_id)); "
    "draw i = first 8 bytes of HMAC-SHA256(key=seed bytes, msg=i as 8-byte big-endian), "
    "as a big-endian integer x (i = 0, 1, 2, … across the whole shuffle); "
    "uniform(n): draw until x < 2**64 - 2**64 % n, answer x % n; "
    "Fisher-Yates: for i from len-1 down to 1: j = uniform(i + 1), swap a[i] and a[j]; "
    "ticket number of order[t] is t + 1; commitment = sha256_hex(seed bytes)."
)
SEED_BYTES = 32
_SPACE = 1 << 64


def new_seed() -> str:
    """A fresh random seed, hex-encoded (kept secret until the pre-queue opens)."""
    return secrets.token_bytes(SEED_BYTES).hex()


def commitment(seed_hex: str) -> str:
    """SHA-256 of the seed's bytes, hex: published before opening, binds the seed."""
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def anonymise(event_id: str, user_id: str) -> str:
    """A joiner's public name: SHA-256 of "event_id:user_id", hex (a fan can find theirs)."""
    return hashlib.sha256(f"{event_id}:{user_id}".encode()).hexdigest()


class DrawStream:
    """Uniform integers from HMAC-SHA256(seed, counter), by rejection sampling."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._counter = 0

    def _next(self) -> int:
        block = hmac.digest(self._seed, self._counter.to_bytes(8, "big"), "sha256")
        self._counter += 1
        return int.from_bytes(block[:8], "big")

    def below(self, n: int) -> int:
        """A uniform integer in [0, n): values past the last whole multiple of n are redrawn."""
        if n < 1:
            raise ValueError("n must be positive")
        limit = _SPACE - _SPACE % n
        while True:
            value = self._next()
            if value < limit:
                return value % n


def shuffle(seed_hex: str, joiners: Iterable[str]) -> list[str]:
    """The pre-queue's order: sorted joiners, then Fisher–Yates driven by the seed."""
    order = sorted(joiners)
    stream = DrawStream(bytes.fromhex(seed_hex))
    for i in range(len(order) - 1, 0, -1):
        j = stream.below(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def verify(seed_hex: str, promised: str, joiners: Sequence[str], order: Sequence[str]) -> bool:
    """What a third party checks: the seed matches the commitment and yields `order`."""
    return commitment(seed_hex) == promised and shuffle(seed_hex, joiners) == list(order)

"""Reservation ids, which double as TossPayments orderIds."""

from __future__ import annotations

import re
import secrets

# TossPayments: 6–64 characters of A–Z a–z 0–9 _ -.
ORDER_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def new_order_id() -> str:
    """ "R" and 20 random base32 characters: 100 bits, unguessable and URL-safe."""
    return "R" + "".join(secrets.choice(_BASE32) for _ in range(20))


def is_order_id(value: str) -> bool:
    """True when TossPayments accepts the value as an orderId."""
    return ORDER_ID_PATTERN.fullmatch(value) is not None

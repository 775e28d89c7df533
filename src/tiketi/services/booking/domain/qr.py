"""Ticket QR tokens: the ticket id and a truncated HMAC of it, both base64url, no I/O.

`<22 chars: the ticket's 16 id bytes>.<22 chars: HMAC-SHA256(key, id)[:16]>` — 45 characters,
small enough for a dense-free QR code; 128 bits of MAC make forging one hopeless, and the
token reveals nothing but the ticket id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid

MAC_BYTES = 16
TOKEN_LENGTH = 45
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$")
_DOMAIN = b"tiketi-ticket-v1:"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, ticket_id: uuid.UUID) -> bytes:
    # A domain prefix, so a MAC made with this key for anything else is never a ticket's.
    return hmac.new(key, _DOMAIN + ticket_id.bytes, hashlib.sha256).digest()[:MAC_BYTES]


def sign(ticket_id: uuid.UUID, key: bytes) -> str:
    """The QR token of a ticket."""
    return f"{_b64(ticket_id.bytes)}.{_b64(_mac(key, ticket_id))}"


def verify(token: str, key: bytes) -> uuid.UUID | None:
    """The ticket id a genuine token names; None for anything forged or malformed."""
    if len(token) != TOKEN_LENGTH or _SHAPE.fullmatch(token) is None:
        return None
    id_part, mac_part = token.split(".")
    raw_id, mac = _unb64(id_part), _unb64(mac_part)
    # Only the canonical spelling: the unused low bits of the last character must be zero,
    # so one ticket has exactly one token.
    if _b64(raw_id) != id_part or _b64(mac) != mac_part:
        return None
    ticket_id = uuid.UUID(bytes=raw_id)
    if not hmac.compare_digest(mac, _mac(key, ticket_id)):
        return None
    return ticket_id

"""Waiting-room admission tokens: issued by the queue service, verified locally by booking.

An HS256 JWT signed with the shared queue key (`TIKETI_QUEUE_KEY`), bound to one user and one
event: claims `sub` (user id), `evt` (event id), `jti` (the fan's ticket number in that event's
queue), `exp`, `typ` = "admission".

A signature alone cannot say the admission is still current: a fan who left the queue, bought
their tickets or let their hold expire gives the admission back, and a replayed token must then
be refused. The queue keeps the current admissions of an event in one Redis hash (user id →
jti) named by `admitted_key`; booking checks the token's jti against it (one HGET).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import jwt

ADMISSION_TYP = "admission"
_ALGORITHM = "HS256"


class AdmissionInvalid(Exception):
    """The token is missing, forged, expired, or for another user or event."""


def queue_tag(event_id: str) -> str:
    """The Redis Cluster hash tag every waiting-room key of one event shares."""
    return "{evt:" + event_id + "}"


def admitted_key(event_id: str) -> str:
    """The Redis hash of the event's current admissions: user id → jti."""
    return queue_tag(event_id) + ":admitted"


# What other services (stats) may read of a room, besides the admissions: the meta hash's
# `admitted_total` (admissions so far) and `rate` (admissions a second now), the waiting line
# (a sorted set) and the pre-queue (a set) — their sizes are the fans waiting.
def meta_key(event_id: str) -> str:
    """The Redis hash of the room's state and figures."""
    return queue_tag(event_id) + ":meta"


def line_key(event_id: str) -> str:
    """The Redis sorted set of fans waiting in line (user id → ticket number)."""
    return queue_tag(event_id) + ":line"


def pre_queue_key(event_id: str) -> str:
    """The Redis set of fans in the pre-queue, before the draw."""
    return queue_tag(event_id) + ":pre"


def issue_admission_token(
    *,
    key: str,
    user_id: str,
    event_id: str,
    ttl: timedelta,
    jti: str = "0",
    now: datetime | None = None,
) -> str:
    """A signed admission for one user to one event, valid for `ttl`."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": user_id,
        "evt": event_id,
        "jti": jti,
        "typ": ADMISSION_TYP,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return _encode_hs256(claims, key.encode())


# The admitter signs thousands of tokens a second: PyJWT's general encoder costs ~85 µs a
# token, this fixed-header one ~10 µs. Verification stays with PyJWT (the standard format).
_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


def _encode_hs256(claims: dict[str, object], key: bytes) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = _HEADER + b"." + payload.rstrip(b"=")
    signature = hmac.new(key, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


class Admission(NamedTuple):
    """A verified admission: its jti (to check it is still current) and when it expires."""

    jti: str
    expires_at: datetime


def verify_admission_token(
    token: str | None, *, key: str, user_id: str, event_id: str, leeway: int = 0
) -> Admission:
    """The admission, if the token admits this user here; raises AdmissionInvalid otherwise."""
    if not token:
        raise AdmissionInvalid("no admission token")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            options={"require": ["sub", "evt", "exp", "typ"]},
            leeway=leeway,
        )
    except jwt.PyJWTError as exc:
        raise AdmissionInvalid(str(exc)) from exc
    if claims.get("typ") != ADMISSION_TYP:
        raise AdmissionInvalid("not an admission token")
    if str(claims.get("sub")) != user_id or str(claims.get("evt")) != event_id:
        raise AdmissionInvalid("the admission is for another user or event")
    return Admission(str(claims.get("jti", "")), datetime.fromtimestamp(int(claims["exp"]), UTC))

"""Waiting-room admission tokens: issued by the queue service, verified locally by booking.

An HS256 JWT signed with the shared queue key (`TIKETI_QUEUE_KEY`), bound to one user and one
event: claims `sub` (user id), `evt` (event id), `exp`, `typ` = "admission".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

ADMISSION_TYP = "admission"
_ALGORITHM = "HS256"


class AdmissionInvalid(Exception):
    """The token is missing, forged, expired, or for another user or event."""


def issue_admission_token(
    *, key: str, user_id: str, event_id: str, ttl: timedelta, now: datetime | None = None
) -> str:
    """A signed admission for one user to one event, valid for `ttl`."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": user_id,
        "evt": event_id,
        "typ": ADMISSION_TYP,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, key, algorithm=_ALGORITHM)


def verify_admission_token(
    token: str | None, *, key: str, user_id: str, event_id: str, leeway: int = 0
) -> datetime:
    """When the admission expires; raises AdmissionInvalid unless it admits this user here."""
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
    return datetime.fromtimestamp(int(claims["exp"]), UTC)

"""The routing table: which service owns a path. Pure, so it is tested exhaustively."""

from __future__ import annotations

import re
from typing import Final

# Every service the gateway can forward to; each has a `<name>_url` setting.
SERVICES: Final = ("auth", "catalog", "queue", "booking", "payment", "stats", "notify")

# Path prefixes, matched on whole segments (`/api/v1/auth` owns `/api/v1/auth/login`, not
# `/api/v1/authx`). Order does not matter: no prefix is a prefix of another.
PREFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("/api/v1/auth", "auth"),
    ("/api/v1/venues", "catalog"),
    ("/api/v1/events", "catalog"),
    ("/api/v1/queue", "queue"),
    ("/api/v1/holds", "booking"),
    ("/api/v1/reservations", "booking"),
    ("/api/v1/tickets", "booking"),
    ("/api/v1/checkin", "booking"),
    ("/api/v1/payments", "payment"),
    ("/sandbox/toss", "payment"),
    ("/api/v1/stats", "stats"),
    ("/api/v1/notifications", "notify"),
    # Posters stored on local disk (no S3 bucket) are served by the catalog that wrote them.
    ("/media", "catalog"),
    # The realtime server lives beside the seat inventory it announces, in both modes.
    ("/socket.io", "booking"),
)

# Carved out of catalog's `/api/v1/events`: the seat map is booking's inventory.
_BOOKING_SEATS: Final = re.compile(r"^/api/v1/events/[^/]+/seats(?:/.*)?$")


def _owns(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _has_dot_segment(path: str) -> bool:
    # An upstream or a proxy in between may collapse `..`, so a path that could mean another
    # area than the one it was routed to is refused rather than guessed at.
    return any(segment in (".", "..") for segment in path.split("/"))


def route(path: str) -> str | None:
    """The name of the service that owns `path` (already percent-decoded), or None."""
    if not path.startswith("/") or _has_dot_segment(path):
        return None
    if _BOOKING_SEATS.match(path):
        return "booking"
    for prefix, service in PREFIXES:
        if _owns(prefix, path):
            return service
    return None

"""Text search and cursors: normalised text for substring search, opaque keyset cursors."""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
import uuid
from datetime import datetime

from tiketi.services.catalog.domain.errors import InvalidCursor

QUERY_MAX = 100


def normalise_text(*parts: str) -> str:
    """One searchable spelling: NFKC (full-width and compatibility jamo fold to plain forms),
    case-folded, whitespace collapsed. Hangul has no case, so Korean text only gets NFKC."""
    joined = " ".join(part for part in parts if part)
    folded = unicodedata.normalize("NFKC", joined).casefold()
    return " ".join(folded.split())


def like_pattern(query: str) -> str:
    """A LIKE pattern matching the normalised query anywhere, with LIKE's wildcards escaped."""
    needle = normalise_text(query)[:QUERY_MAX]
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def encode_cursor(sort_key: datetime, item_id: uuid.UUID) -> str:
    """An opaque cursor naming the last item of a page: its sort time and id."""
    raw = json.dumps([sort_key.isoformat(), str(item_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (sort time, id) a cursor names; InvalidCursor (422) for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        when, item_id = values
        sort_key = datetime.fromisoformat(when)
        if sort_key.utcoffset() is None:
            raise ValueError("naive cursor time")
        return sort_key, uuid.UUID(item_id)
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise InvalidCursor() from exc

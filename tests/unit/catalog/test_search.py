"""Normalised search text, LIKE patterns and opaque cursors."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tiketi.services.catalog.domain.errors import InvalidCursor
from tiketi.services.catalog.domain.search import (
    decode_cursor,
    encode_cursor,
    like_pattern,
    normalise_text,
)


def test_normalised_text_folds_case_width_and_spaces() -> None:
    assert normalise_text("  IU  콘서트 ", "올림픽  체조경기장") == "iu 콘서트 올림픽 체조경기장"
    # Full-width letters (common in Korean input methods) fold to ASCII.
    assert normalise_text("ＩＵ　ＣＯＮＣＥＲＴ") == "iu concert"
    # Compatibility jamo fold to their standard forms, so both spellings match.
    assert normalise_text("ㄱ") == normalise_text("\u3131")


def test_like_patterns_match_anywhere_and_escape_wildcards() -> None:
    assert like_pattern(" 콘서트 ") == "%콘서트%"
    assert like_pattern("100%_sure\\") == "%100\\%\\_sure\\\\%"


def test_cursors_round_trip_and_are_opaque() -> None:
    when = datetime(2026, 12, 24, 19, 0, tzinfo=timezone(timedelta(hours=9)))
    item = uuid.uuid4()

    cursor = encode_cursor(when, item)

    assert str(item) not in cursor and "=" not in cursor
    assert decode_cursor(cursor) == (when, item)
    assert decode_cursor(encode_cursor(when.astimezone(UTC), item))[0] == when


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", "x"]').decode(),
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", "not-a-uuid"]').decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        base64.urlsafe_b64encode("\u00ff".encode("latin-1")).decode(),
    ],
)
def test_foreign_cursors_are_a_validation_error(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor(cursor)

    assert caught.value.status == 422
    assert caught.value.details == {"cursor": "not a cursor this list handed out"}

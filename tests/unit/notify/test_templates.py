"""Every template renders in both languages; QR codes are inline; mistakes are errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from jinja2 import UndefinedError
from PIL import Image

from tiketi.services.notify.adapters.templates import Renderer, qr_content_id
from tiketi.services.notify.domain.models import LOCALES, EmailKind


def _context() -> dict[str, Any]:
    return {
        "user": {"name": "<b>민지</b>", "email": "fan@example.com"},
        "event": {
            "title": "Concert & Friends",
            "venue": "KSPO DOME",
            "starts_at": datetime(2026, 12, 24, 10, 0, tzinfo=UTC),
            "reason": None,
        },
        "reservation_id": "ord_1",
        "tickets": [
            {"ticket_id": f"t{n}", "seat_id": n, "section": "A", "row": "B",
             "number": str(n), "grade": "VIP", "qr_token": f"token-{n}"}
            for n in (1, 2)
        ],
        "amount": 165000,
        "refund": True,
        "reason": "customer",
    }  # fmt: skip


@pytest.mark.parametrize("kind", list(EmailKind))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_renders_in_every_language(kind: EmailKind, locale: str) -> None:
    rendered = Renderer(zone="Asia/Seoul").render(kind, locale, _context())
    assert rendered.subject.startswith("[Tiketi] ")
    assert "\n" not in rendered.subject
    assert rendered.text.strip() and "<html" in rendered.html
    # HTML is escaped; the plain-text part is not HTML at all.
    assert "&lt;b&gt;민지&lt;/b&gt;" in rendered.html and "<b>민지</b>" in rendered.text


def test_each_ticket_gets_an_inline_qr_code_that_decodes_to_its_token() -> None:
    rendered = Renderer(zone="Asia/Seoul").render(EmailKind.RESERVATION_CONFIRMED, "ko", _context())
    assert set(rendered.images) == {qr_content_id("t1"), qr_content_id("t2")}
    for n in (1, 2):
        cid = qr_content_id(f"t{n}")
        assert f'src="cid:{cid}"' in rendered.html
        [result] = zxingcpp.read_barcodes(Image.open(io.BytesIO(rendered.images[cid])))
        assert result.text == f"token-{n}"


def test_an_undefined_name_is_an_error_not_a_blank(tmp_path: Path) -> None:
    (tmp_path / "event_canceled.en.txt").write_text("{{ event.no_such_field }}")
    renderer = Renderer(zone="Asia/Seoul", override_dir=tmp_path)
    with pytest.raises(UndefinedError):
        renderer.render(EmailKind.EVENT_CANCELED, "en", _context())
    # The packaged Korean template is untouched by the English override.
    assert renderer.render(EmailKind.EVENT_CANCELED, "ko", _context()).subject

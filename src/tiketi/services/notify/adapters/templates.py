"""Emails rendered from Jinja2 templates (one per kind and language, text and HTML), with each
ticket's QR code as a PNG the HTML shows inline."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)

from tiketi.services.notify.domain.models import EmailKind, Rendered, format_money, format_time

PACKAGED = Path(__file__).resolve().parent.parent / "templates"


def qr_png(token: str) -> bytes:
    """A ticket's token as a QR code PNG: 6 px modules and the standard 4-module quiet zone,
    so phone cameras and door scanners read it off a mail client's screen."""
    buffer = io.BytesIO()
    segno.make(token, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


def qr_content_id(ticket_id: str) -> str:
    """The Content-ID (without brackets) of a ticket's inline QR image."""
    return f"qr-{ticket_id}@tiketi"


class Renderer:
    """Renders an email's subject, text and HTML in one language.

    Undefined names are errors (StrictUndefined): a broken template fails its email, which is
    retried and dead-lettered, rather than sending mail with holes in it.
    """

    def __init__(self, *, zone: str, override_dir: Path | None = None) -> None:
        loaders = [FileSystemLoader(str(override_dir))] if override_dir else []
        loaders.append(FileSystemLoader(str(PACKAGED)))
        self.zone = zone
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def render(self, kind: EmailKind, locale: str, context: Mapping[str, Any]) -> Rendered:
        """The email of `kind` in `locale` ("ko" or "en"); the tickets' QR codes inline."""
        values = dict(context)
        values["locale"] = locale
        values["money"] = lambda amount: format_money(int(amount), locale)
        values["when"] = lambda moment: self._when(moment, locale)
        images: dict[str, bytes] = {}
        for ticket in values.get("tickets", []):
            cid = qr_content_id(ticket["ticket_id"])
            ticket["cid"] = cid
            images[cid] = qr_png(ticket["qr_token"])
        text_module = self.env.get_template(f"{kind.value}.{locale}.txt").make_module(values)
        subject = " ".join(str(text_module.subject).split())  # type: ignore[attr-defined]
        html = self.env.get_template(f"{kind.value}.{locale}.html").render(values)
        return Rendered(subject=subject, text=str(text_module), html=html, images=images)

    def _when(self, moment: datetime | str | None, locale: str) -> str:
        if moment is None:
            return "-"
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return format_time(moment, locale, self.zone)

"""Set-up for the browser tests through the served platform's public API (sync httpx)."""

from __future__ import annotations

import struct
import subprocess
import sys
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.support import Served

PASSWORD = "a sturdy passphrase"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    name: str
    token: str
    refresh_token: str
    role: str = "customer"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def session_json(self) -> str:
        """What the web app keeps in localStorage['tiketi.session'] once signed in."""
        import json

        user = {"id": self.id, "email": self.email, "name": self.name, "role": self.role}
        return json.dumps(
            {"accessToken": self.token, "refreshToken": self.refresh_token, "user": user}
        )


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json() if response.content else None


def sign_up(url: str, prefix: str = "fan") -> Account:
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    body = _ok(
        httpx.post(
            f"{url}/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "name": prefix.title()},
            timeout=30,
        ),
        201,
    )
    return Account(
        body["user"]["id"], email, prefix.title(), body["access_token"], body["refresh_token"]
    )


def log_in(url: str, email: str, password: str = PASSWORD) -> Account:
    body = _ok(
        httpx.post(
            f"{url}/api/v1/auth/login", json={"email": email, "password": password}, timeout=30
        )
    )
    user = body["user"]
    return Account(
        user["id"], email, user["name"], body["access_token"], body["refresh_token"], user["role"]
    )


def make_admin(served: Served) -> Account:
    """An admin made the way operators do (`tiketi admin create`), logged in."""
    email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
    subprocess.run(
        [sys.executable, "-m", "tiketi.cli", "admin", "create", "--email", email,
         "--password", PASSWORD, "--name", "Admin"],
        env=served.env, cwd=served.log.parent, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return log_in(served.url, email)


def with_role(url: str, admin: Account, account: Account, role: str) -> Account:
    """Give `account` a role; a fresh login carries it in the token."""
    _ok(
        httpx.put(
            f"{url}/api/v1/auth/users/{account.id}/role",
            json={"role": role},
            headers=admin.headers,
            timeout=30,
        )
    )
    return log_in(url, account.email)


def create_event(
    url: str,
    organizer: Account,
    *,
    queue: bool = False,
    sections: tuple[str, ...] = ("A", "B"),
    rows: int = 3,
    per_row: int = 8,
    title: str | None = None,
) -> str:
    """A venue and a published event on sale now; returns once booking has its seats."""
    venue = _ok(
        httpx.post(
            f"{url}/api/v1/venues",
            json={
                "name": f"Hall {uuid.uuid4().hex[:6]}",
                "address": "1 Test-ro, Seoul",
                "sections": [
                    {
                        "name": s,
                        "rows": [{"label": chr(65 + r), "seats": per_row} for r in range(rows)],
                    }
                    for s in sections
                ],
            },
            headers=organizer.headers,
            timeout=30,
        ),
        201,
    )
    now = datetime.now(UTC)
    starts = now + timedelta(days=10)
    grades = [
        {"code": "VIP", "name": "VIP", "price": 150000},
        {"code": "R", "name": "R", "price": 90000},
    ]
    seat_grades = {s: ("VIP" if i == 0 else "R") for i, s in enumerate(sections)}
    event = _ok(
        httpx.post(
            f"{url}/api/v1/events",
            json={
                "title": title or f"Web E2E {uuid.uuid4().hex[:6]}",
                "description": "An event made by the browser tests.",
                "venue_id": venue["id"],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "sale_opens_at": (now - timedelta(minutes=5)).isoformat(),
                "sale_closes_at": (starts - timedelta(hours=1)).isoformat(),
                "grades": grades[: len(set(seat_grades.values()))],
                "seat_grades": seat_grades,
                "max_tickets_per_user": 4,
                "queue": {"enabled": queue, "max_active": 100, "admit_per_second": 20},
            },
            headers=organizer.headers,
            timeout=30,
        ),
        201,
    )
    _ok(
        httpx.post(
            f"{url}/api/v1/events/{event['id']}/publish", headers=organizer.headers, timeout=30
        )
    )
    wait_for_seats(url, event["id"])
    return str(event["id"])


def wait_for_seats(url: str, event_id: str, timeout: float = 30) -> list[dict[str, Any]]:
    """Booking makes the inventory from EventPublished (a stream): poll its seat map."""
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{url}/api/v1/events/{event_id}/seats", timeout=10)
        if response.status_code == 200 and response.json()["seats"]:
            seats: list[dict[str, Any]] = response.json()["seats"]
            return seats
        assert time.monotonic() < deadline, f"no inventory for {event_id}: {response.text}"
        time.sleep(0.2)


def buy(url: str, fan: Account, event_id: str, seat_ids: list[int]) -> list[dict[str, Any]]:
    """Hold, reserve and pay through the sandbox as the web app does; the tickets."""
    hold = _ok(
        httpx.post(
            f"{url}/api/v1/holds",
            json={"event_id": event_id, "seat_ids": seat_ids},
            headers=fan.headers,
            timeout=30,
        ),
        201,
    )
    reservation = _ok(
        httpx.post(
            f"{url}/api/v1/reservations", json={"hold_id": hold["id"]}, headers=fan.headers,
            timeout=30,
        ),
        201,
    )  # fmt: skip
    window = _ok(
        httpx.post(
            f"{url}/sandbox/toss/v1/payments",
            json={
                "orderId": reservation["id"],
                "orderName": "E2E",
                "amount": reservation["amount"],
            },
            timeout=30,
        ),
        201,
    )
    _ok(
        httpx.post(
            f"{url}/api/v1/payments/confirm",
            json={
                "payment_key": window["paymentKey"],
                "order_id": reservation["id"],
                "amount": reservation["amount"],
            },
            headers=fan.headers,
            timeout=60,
        )
    )
    tickets: list[dict[str, Any]] = _ok(
        httpx.get(
            f"{url}/api/v1/reservations/{reservation['id']}/tickets", headers=fan.headers,
            timeout=30,
        )
    )  # fmt: skip
    return tickets


def poster_png(path: Path, width: int = 300, height: int = 400) -> Path:
    """A real PNG (a purple gradient) for the poster upload."""
    rows = b"".join(
        b"\x00"
        + b"".join(
            bytes((90 + (x * 80) // width, 43, 217 - (y * 60) // height)) for x in range(width)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )  # fmt: skip
    return path


def shots_dir(folder: Path) -> Path:
    """The screenshot folder, made."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class PageErrors:
    """Uncaught errors of a page's scripts: a test fails on any (never a blank page)."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def check(self) -> None:
        assert self.errors == [], self.errors


def new_page(browser: Any, url: str, account: Account | None = None, **options: Any) -> Any:
    """A fresh context and page; with `account`, already signed in (the app's localStorage)."""
    viewport = options.pop("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(base_url=url, locale="ko-KR", viewport=viewport, **options)
    context.set_default_timeout(20_000)
    if account is not None:
        context.add_init_script(
            f"window.localStorage.setItem('tiketi.session', {account.session_json()!r});"
        )
    return context.new_page()

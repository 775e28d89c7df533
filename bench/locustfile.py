"""Locust: a fan's journey, for load from many machines (`python -m bench` drives one machine).

Run it as its own process (gevent patches the whole interpreter, so this file imports nothing
but locust and the standard library — never tiketi or bench):

    .venv/bin/locust -f bench/locustfile.py --headless -u 500 -r 50 -t 5m \\
        --host http://127.0.0.1:3001 --event-id <EVENT_ID>

Distributed: one `--master` (add `--expect-workers N`), and on each load machine
`.venv/bin/locust -f bench/locustfile.py --worker --master-host <master>`. Without
`--event-id` every fan picks the first event on sale. Each simulated fan signs up, reads the
event and its seat map, joins the waiting room when the event has one (solving the proof of work
when asked), polls its place until admitted, holds the best available seats, reserves, pays in
the TossPayments sandbox (POST /sandbox/toss/v1/payments) and confirms; then it idles until the
run ends (a stopped user would be replaced by a new one while users are still being spawned, so
-u N means exactly N fans). Expected
refusals (409 SEAT_UNAVAILABLE once sold out) count as successes named "… (sold out)".

`--forwarded-for` gives each fan its own X-Forwarded-For address: only for a platform that
trusts one proxy hop (TIKETI_TRUSTED_PROXY_HOPS=1, as `python -m bench` runs it), so that many
fans from one load machine do not share one address's rate limit.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import time
import uuid
from typing import Any

from locust import HttpUser, between, events, task

PASSWORD = "locust fan passphrase"  # noqa: S105 - throwaway accounts
_serial = itertools.count(1)


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]
def _options(parser: Any) -> None:
    parser.add_argument("--event-id", default="", help="the event to buy (default: first on sale)")
    parser.add_argument("--grade", default="R", help="seat grade to buy (best available)")
    parser.add_argument("--max-quantity", type=int, default=2, help="each fan buys 1..N seats")
    parser.add_argument("--poll-max", type=float, default=10.0, help="most seconds between polls")
    parser.add_argument(
        "--forwarded-for", action="store_true", help="each fan its own X-Forwarded-For address"
    )


def solve(challenge: str, difficulty: int) -> str:
    """A nonce such that SHA-256(challenge + ":" + nonce) starts with `difficulty` zero bits."""
    for nonce in itertools.count():
        digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
        if int.from_bytes(digest, "big") >> (256 - difficulty) == 0:
            return str(nonce)
    raise AssertionError("unreachable")


class Fan(HttpUser):
    """One fan: sign up, then one purchase through the waiting room; then it stops."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        """Sign up (a fresh account per simulated fan)."""
        self.done = False
        options = self.environment.parsed_options
        number = next(_serial)
        self.headers: dict[str, str] = {}
        if options.forwarded_for:
            self.headers["X-Forwarded-For"] = (
                f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
            )
        email = f"locust-{uuid.uuid4().hex[:12]}@example.com"
        with self.client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "name": f"Locust fan {number}"},
            headers=self.headers, catch_response=True, name="/api/v1/auth/register",
        ) as response:  # fmt: skip
            if response.status_code != 201:
                response.failure(f"sign-up answered {response.status_code}")
                self.done = True
                return
            self.headers["Authorization"] = "Bearer " + response.json()["access_token"]
        self.event_id = options.event_id or self._first_on_sale()
        self.done = not self.event_id

    def _first_on_sale(self) -> str:
        response = self.client.get(
            "/api/v1/events?status=published&limit=50", name="/api/v1/events"
        )
        for event in response.json().get("items", []):
            if event.get("sale_state") == "on_sale":
                return str(event["id"])
        return ""

    @task
    def buy(self) -> None:
        """Browse, queue, hold, reserve, pay, confirm, once; then idle."""
        if self.done:
            return
        self.done = True
        event = self.client.get(f"/api/v1/events/{self.event_id}", name="/api/v1/events/[id]")
        self.client.get(f"/api/v1/events/{self.event_id}/seats", name="/api/v1/events/[id]/seats")
        admission = None
        if event.ok and event.json().get("queue", {}).get("enabled"):
            admission = self._wait_in_room()
            if admission is None:
                return
        hold = self._hold(admission)
        if hold is not None:
            self._pay(hold)

    def _join(self, room: str) -> Any:
        body: dict[str, Any] | None = None
        challenge = self.client.get(f"{room}/challenge", headers=self.headers,
                                    name="/api/v1/queue/[id]/challenge")  # fmt: skip
        if challenge.ok and challenge.json().get("difficulty"):
            issued = challenge.json()
            nonce = solve(issued["challenge"], int(issued["difficulty"]))
            body = {"pow": {"challenge": issued["challenge"], "nonce": nonce}}
        return self.client.post(f"{room}/join", json=body, headers=self.headers,
                                name="/api/v1/queue/[id]/join")  # fmt: skip

    def _wait_in_room(self) -> str | None:
        room = f"/api/v1/queue/{self.event_id}"
        response = self._join(room)
        poll_max = self.environment.parsed_options.poll_max
        while response.ok and response.json()["status"] != "admitted":
            eta = float(response.json().get("eta_seconds") or 0)
            time.sleep(min(poll_max, max(0.5, eta / 2)) * random.uniform(0.8, 1.2))  # noqa: S311
            response = self.client.get(f"{room}/status", headers=self.headers,
                                       name="/api/v1/queue/[id]/status")  # fmt: skip
        return str(response.json()["admission_token"]) if response.ok else None

    def _hold(self, admission: str | None) -> dict[str, Any] | None:
        options = self.environment.parsed_options
        headers = dict(self.headers)
        if admission:
            headers["X-Admission-Token"] = admission
        body = {
            "event_id": self.event_id,
            "grade": options.grade,
            "quantity": random.randint(1, max(1, options.max_quantity)),  # noqa: S311
        }
        with self.client.post("/api/v1/holds", json=body, headers=headers, catch_response=True,
                              name="/api/v1/holds") as response:  # fmt: skip
            if response.status_code == 201:
                hold: dict[str, Any] = response.json()
                return hold
            if response.status_code == 409:
                response.success()
                self.environment.events.request.fire(
                    request_type="POST", name="/api/v1/holds (sold out)", response_time=0,
                    response_length=0, exception=None, context={},
                )  # fmt: skip
                self._leave()
                return None
            response.failure(f"hold answered {response.status_code}: {response.text[:200]}")
        self._leave()
        return None

    def _leave(self) -> None:
        self.client.delete(f"/api/v1/queue/{self.event_id}", headers=self.headers,
                           name="/api/v1/queue/[id]")  # fmt: skip

    def _pay(self, hold: dict[str, Any]) -> None:
        reservation = self.client.post(
            "/api/v1/reservations", json={"hold_id": hold["id"]}, headers=self.headers
        )
        if not reservation.ok:
            return
        order = reservation.json()
        window = self.client.post(
            "/sandbox/toss/v1/payments",
            json={"orderId": order["id"], "orderName": "Locust concert", "amount": order["amount"]},
            headers={k: v for k, v in self.headers.items() if k == "X-Forwarded-For"},
            name="/sandbox/toss/v1/payments",
        )  # fmt: skip
        if not window.ok:
            return
        self.client.post(
            "/api/v1/payments/confirm",
            json={"payment_key": window.json()["paymentKey"], "order_id": order["id"],
                  "amount": order["amount"]},
            headers=self.headers, name="/api/v1/payments/confirm",
        )  # fmt: skip

"""After a sale: wait for the platform to settle (reconciler, sweeper, mail sender), then read
the services' own tables and say whether anything was sold twice, charged without a ticket or
mailed twice, and what every fan ended with."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from tiketi.multiproc.cluster import Cluster
from tiketi.multiproc.flashsale import Journey

# Payment states nobody will touch again (docs/payments.md); the others are the reconciler's.
FINAL_PAYMENT_STATES = ("confirmed", "refunded", "failed")

_OPEN_PAYMENTS = """SELECT count(*) FROM payment.payments p
    JOIN booking.reservations r ON r.id = p.order_id
    WHERE r.event_id = $1 AND p.state <> ALL($2::text[])"""
_STALE_HOLDS = """SELECT count(*) FROM booking.seats
    WHERE event_id = $1 AND status = 'held' AND hold_expires_at <= now()"""
_UNPUBLISHED = "SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL"
_UNSENT_MAIL = "SELECT count(*) FROM notify.emails WHERE state IN ('pending', 'sending')"
_UNMAILED_TICKETS = """SELECT r.id FROM booking.reservations r
    WHERE r.event_id = $1 AND r.status = 'confirmed' AND NOT EXISTS (
        SELECT 1 FROM notify.emails e WHERE e.kind = 'reservation_confirmed'
        AND e.data->>'reservation_id' = r.id AND e.state = 'sent')"""
_SEATS_TWICE = """SELECT seat, count(*) FROM (
    SELECT unnest(seat_ids) AS seat FROM booking.reservations
    WHERE event_id = $1 AND status = 'confirmed') confirmed
    GROUP BY seat HAVING count(*) > 1"""
_TICKETS_TWICE = """SELECT seat_id FROM booking.tickets WHERE event_id = $1 AND voided_at IS NULL
    GROUP BY seat_id HAVING count(*) > 1"""
_SOLD_ELSEWHERE = """SELECT s.seat_id FROM booking.seats s
    LEFT JOIN booking.reservations r ON r.id = s.reservation_id
    WHERE s.event_id = $1 AND (s.status = 'sold') <> (r.status IS NOT DISTINCT FROM 'confirmed'
        AND s.seat_id = ANY(r.seat_ids))"""
# Charged at the gateway (the sandbox's own store) but neither ticketed nor fully refunded.
_CHARGED_WITHOUT_TICKET = """SELECT g.order_id, g.payment_key, g.status, r.status AS booked
    FROM payment.sandbox_payments g JOIN booking.reservations r ON r.id = g.order_id
    WHERE r.event_id = $1 AND g.approved_at IS NOT NULL AND NOT (
        (g.status = 'DONE' AND r.status = 'confirmed' AND r.payment_key = g.payment_key)
        OR (g.status = 'CANCELED' AND g.balance_amount = 0))"""
_TICKET_WITHOUT_PAYMENT = """SELECT r.id FROM booking.reservations r
    WHERE r.event_id = $1 AND r.status = 'confirmed' AND (
        SELECT count(*) FROM payment.sandbox_payments g
        WHERE g.order_id = r.id AND g.status = 'DONE' AND g.payment_key = r.payment_key) <> 1"""
_MAIL_TWICE = """SELECT kind, user_id, data->>'reservation_id' AS reservation, count(*)
    FROM notify.emails WHERE state = 'sent' AND kind <> 'event_canceled'
    GROUP BY 1, 2, 3 HAVING count(*) > 1"""
_FANS = """SELECT r.user_id::text AS user_id, r.id, r.status, p.state AS payment
    FROM booking.reservations r LEFT JOIN payment.payments p ON p.order_id = r.id
    WHERE r.event_id = $1"""


def libpq(url: str) -> str:
    """A URL asyncpg accepts (SQLAlchemy's `+asyncpg` dropped)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _count(conn: asyncpg.Connection, query: str, *args: Any) -> int:
    return int(await conn.fetchval(query, *args))


async def unsettled(conn: asyncpg.Connection, event_id: str) -> dict[str, int]:
    """What the platform still has to do for this sale (all zero once settled)."""
    found = {
        "open_payments": await _count(conn, _OPEN_PAYMENTS, event_id, list(FINAL_PAYMENT_STATES)),
        "stale_holds": await _count(conn, _STALE_HOLDS, event_id),
        "unsent_mail": await _count(conn, _UNSENT_MAIL),
        "unmailed_tickets": len(await conn.fetch(_UNMAILED_TICKETS, event_id)),
    }
    for schema in ("booking", "payment", "catalog", "auth"):
        found[f"outbox_{schema}"] = await _count(conn, _UNPUBLISHED.format(schema=schema))
    return found


async def settle(cluster: Cluster, event_id: str, timeout: float = 120.0) -> dict[str, int]:
    """Poll until the reconciler, sweeper, relays and mail sender are done, or the timeout;
    what was still pending at the end."""
    assert cluster.database_url
    deadline = time.monotonic() + timeout
    pending: dict[str, int] = {}
    while time.monotonic() < deadline:
        try:
            conn = await asyncpg.connect(libpq(cluster.database_url))
            try:
                pending = {k: v for k, v in (await unsettled(conn, event_id)).items() if v}
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError) as exc:
            pending = {f"database: {type(exc).__name__}": 1}
        if not pending:
            return {}
        await asyncio.sleep(0.5)
    return pending


INVARIANTS = (
    "seats_sold_twice",
    "charged_without_ticket",
    "ticket_without_payment",
    "duplicate_emails",
    "unmailed_tickets",
    "not_ready",
    "unexplained",
)


@dataclass
class Audit:
    """The sale's verdict."""

    seats_sold_twice: list[Any] = field(default_factory=list)
    charged_without_ticket: list[Any] = field(default_factory=list)
    ticket_without_payment: list[Any] = field(default_factory=list)
    duplicate_emails: list[Any] = field(default_factory=list)
    unmailed_tickets: list[Any] = field(default_factory=list)
    not_ready: list[str] = field(default_factory=list)
    unsettled: dict[str, int] = field(default_factory=dict)
    tally: Counter[str] = field(default_factory=Counter)
    unexplained: list[str] = field(default_factory=list)
    sold_seats: int = 0

    @property
    def clean(self) -> bool:
        """Nothing sold twice, lost, charged wrongly or mailed twice; every fan explained."""
        return not any(getattr(self, name) for name in INVARIANTS)

    def report(self) -> str:
        """A few lines for a person."""
        lines = [f"{key}: {value}" for key, value in sorted(self.tally.items())]
        lines.append(f"sold seats: {self.sold_seats}")
        for name in INVARIANTS:
            lines.append(f"{name}: {len(getattr(self, name))} {getattr(self, name)[:5]}")
        if self.unsettled:
            lines.append(f"unsettled at the deadline: {self.unsettled}")
        return "\n".join(lines)


def duplicate_deliveries(cluster: Cluster) -> list[str]:
    """.eml files written more than once (notify logs each write as `mail_written`)."""
    written: Counter[str] = Counter()
    for member in cluster.replicas_of("notify"):
        for line in member.log.read_text(errors="replace").splitlines():
            if '"mail_written"' in line:
                written[json.loads(line).get("path", "")] += 1
    return [path for path, count in written.items() if count > 1]


def classify(journey: Journey, rows: list[asyncpg.Record]) -> str:
    """A fan's final state from booking's and payment's tables (and the client's refusal)."""
    statuses = {row["status"] for row in rows}
    payments = {row["payment"] for row in rows}
    if "confirmed" in statuses:
        return "ticket"
    if "refunded" in statuses or "refunded" in payments:
        return "refunded"
    if rows:
        return f"never paid ({'/'.join(sorted(str(p or 'no payment') for p in payments))})"
    return f"refused {journey.code or journey.outcome}"


def _explained(journey: Journey, state: str) -> bool:
    """The client's own view agrees with the tables."""
    if journey.outcome == "paid":
        return state == "ticket"
    if state == "ticket":
        # Paid where the answer was lost (a time-out, a fault) and the reconciler attached it.
        return journey.outcome in {"payment_unsettled", "refused"} and journey.order_id is not None
    return True


async def audit(cluster: Cluster, event_id: str, journeys: list[Journey]) -> Audit:
    """Settle, then check every invariant and classify every fan."""
    result = Audit(unsettled=await settle(cluster, event_id))
    assert cluster.database_url
    conn = await asyncpg.connect(libpq(cluster.database_url))
    try:
        result.seats_sold_twice = [tuple(r) for r in await conn.fetch(_SEATS_TWICE, event_id)]
        result.seats_sold_twice += [tuple(r) for r in await conn.fetch(_TICKETS_TWICE, event_id)]
        result.seats_sold_twice += [tuple(r) for r in await conn.fetch(_SOLD_ELSEWHERE, event_id)]
        result.charged_without_ticket = [
            tuple(r) for r in await conn.fetch(_CHARGED_WITHOUT_TICKET, event_id)
        ]
        result.ticket_without_payment = [
            r["id"] for r in await conn.fetch(_TICKET_WITHOUT_PAYMENT, event_id)
        ]
        result.duplicate_emails = [tuple(r) for r in await conn.fetch(_MAIL_TWICE)]
        result.unmailed_tickets = [r["id"] for r in await conn.fetch(_UNMAILED_TICKETS, event_id)]
        result.sold_seats = await _count(
            conn, "SELECT count(*) FROM booking.seats WHERE event_id = $1 AND status = 'sold'",
            event_id,
        )  # fmt: skip
        by_fan: dict[str, list[asyncpg.Record]] = {}
        for row in await conn.fetch(_FANS, event_id):
            by_fan.setdefault(row["user_id"], []).append(row)
    finally:
        await conn.close()
    result.duplicate_emails += duplicate_deliveries(cluster)
    result.not_ready = cluster.not_ready()
    for journey in journeys:
        state = classify(journey, by_fan.get(journey.fan.id, []))
        result.tally[state] += 1
        if not _explained(journey, state):
            result.unexplained.append(f"{journey.fan.email}: {state}; client: {journey.steps}")
    return result

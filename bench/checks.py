"""The hard checks: no seat is in two live holds or reservations (oversold must be 0), and no
money is taken without a ticket (approved without confirmed must be 0).

Read straight from PostgreSQL, over every event booking has: a claim is a seat listed by an
unexpired active hold, a pending (unexpired) or a confirmed reservation. A seat is oversold when
two claims name it, or when a claim names it but the seat's own row belongs to someone else
(the fan would believe they have a seat that another fan has).
"""

from __future__ import annotations

import asyncpg

_OVERSOLD = """
WITH claims AS (
    SELECT h.event_id, unnest(h.seat_ids) AS seat_id, 'hold' AS kind, h.id::text AS owner
    FROM booking.holds h WHERE h.status = 'active' AND h.expires_at > now()
    UNION ALL
    SELECT r.event_id, unnest(r.seat_ids), 'reservation', r.id
    FROM booking.reservations r
    WHERE r.status = 'confirmed' OR (r.status = 'pending_payment' AND r.expires_at > now())
),
doubled AS (
    SELECT event_id, seat_id FROM claims GROUP BY event_id, seat_id HAVING count(*) > 1
),
unbacked AS (
    SELECT c.event_id, c.seat_id FROM claims c
    JOIN booking.seats s ON s.event_id = c.event_id AND s.seat_id = c.seat_id
    WHERE (c.kind = 'hold' AND (s.status <> 'held' OR s.hold_id::text <> c.owner))
       OR (c.kind = 'reservation' AND s.reservation_id IS DISTINCT FROM c.owner)
)
SELECT count(*) FROM (SELECT * FROM doubled UNION SELECT * FROM unbacked) AS bad
"""


async def oversold_in_database(dsn: str) -> int:
    """Seats that two live holds/reservations claim, or that a claim's seat row denies."""
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            return int(await connection.fetchval(_OVERSOLD))
    finally:
        await connection.close()


def doubled_by_clients(held: list[list[int]]) -> int:
    """Seats that two successful hold answers both gave (the client side's own count)."""
    seats = [seat for hold in held for seat in hold]
    return len(seats) - len(set(seats))


# Money: a payment DONE at the gateway (the sandbox's store) must belong to a confirmed
# reservation paid with that very key, or have been refunded in full (then it is no longer
# DONE); a confirmed reservation must have a DONE payment with its key.
_APPROVED_WITHOUT_CONFIRMED = """
SELECT count(*) FROM payment.sandbox_payments p
LEFT JOIN booking.reservations r ON r.id = p.order_id
WHERE p.status = 'DONE'
  AND (r.status IS DISTINCT FROM 'confirmed' OR r.payment_key IS DISTINCT FROM p.payment_key)
"""
_CONFIRMED_WITHOUT_PAYMENT = """
SELECT count(*) FROM booking.reservations r
WHERE r.status = 'confirmed' AND NOT EXISTS (
    SELECT 1 FROM payment.sandbox_payments p
    WHERE p.order_id = r.id AND p.status = 'DONE' AND p.payment_key = r.payment_key)
"""
# Payments the reconciler still has to settle (not a violation yet: it is their owner).
_UNSETTLED = """
SELECT count(*) FROM payment.payments
WHERE state IN ('approving', 'unknown', 'approved', 'refunding')
"""


async def money_in_database(dsn: str) -> dict[str, int]:
    """The payment invariant's counts over the whole database (both must be 0), and the
    payments still open."""
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            return {
                "approved without confirmed": int(
                    await connection.fetchval(_APPROVED_WITHOUT_CONFIRMED)
                ),
                "confirmed without payment": int(
                    await connection.fetchval(_CONFIRMED_WITHOUT_PAYMENT)
                ),
                "unsettled": int(await connection.fetchval(_UNSETTLED)),
            }
    finally:
        await connection.close()


_SALES = """
SELECT coalesce(sum(cardinality(seat_ids)), 0), count(*), max(confirmed_at)
FROM booking.reservations WHERE event_id = $1::uuid AND status = 'confirmed'
"""


async def sales_in_database(dsn: str, event_id: str) -> tuple[int, int, float | None]:
    """(seats sold, confirmed reservations, when the last was confirmed as epoch seconds) of
    one event, from booking's reservations: the reconciler's late confirmations included."""
    connection = await asyncpg.connect(dsn)
    try:
        seats, orders, last = await connection.fetchrow(_SALES, event_id)
    finally:
        await connection.close()
    return int(seats), int(orders), last.timestamp() if last is not None else None

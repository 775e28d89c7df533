"""The hard check: no seat is in two live holds or reservations (oversold must be 0).

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

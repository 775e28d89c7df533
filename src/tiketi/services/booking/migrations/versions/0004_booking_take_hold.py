"""booking: a hold in one round trip (the function booking.take_hold)

Everything a hold does, in the order the service used to do it statement by statement: the
event's sale rules, the admission verdict (the caller checks the token), the per-user advisory
lock and live-seat count, a lock-free check that every seat exists and is free, the one
conditional UPDATE, the hold row, a SeatsHeld outbox row, and the seat map's version bump
last (the event row is locked only for the commit). One statement in an implicit transaction:
any error rolls everything back. Refusals that wrote nothing return an outcome; seats taken
between the check and the UPDATE raise SQLSTATE TK409 (DETAIL: the seat ids as JSON), so the
UPDATE's rows are rolled back too. Outcomes are mapped to errors by service/holds.py.

Revision ID: booking_0004
Revises: booking_0003
Create Date: 2025-01-04 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "booking_0004"
down_revision: str | None = "booking_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "booking"
_FREE = "(s.status = 'available' OR (s.status = 'held' AND s.hold_expires_at <= now()))"
# The seat ids asked for that are not in `have` (sorted), as a JSON object for the caller.
_MISSING = (
    "json_build_object('seat_ids', (SELECT coalesce(array_agg(w ORDER BY w), '{{}}') "
    "FROM unnest(p_seat_ids) w WHERE w <> ALL(coalesce({have}, '{{}}'))))::text"
)

TAKE_HOLD = f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.take_hold(
    p_event_id uuid, p_user_id uuid, p_hold_id uuid,
    p_seat_ids bigint[],          -- sorted and distinct; empty: check the rules only
    p_quantity integer,           -- seats the hold would add (for the ticket limit)
    p_admitted boolean,           -- the caller verified an admission for this fan and event
    p_hold_seconds integer, p_lock_timeout_ms integer, p_version_lock_timeout_ms integer,
    OUT o_outcome text, OUT o_info text, OUT o_version bigint, OUT o_expires_at timestamptz,
    OUT o_seat_ids bigint[], OUT o_sections text[], OUT o_rows text[], OUT o_numbers text[],
    OUT o_grades text[], OUT o_prices bigint[]
) LANGUAGE plpgsql AS $fn$
DECLARE
    v_status text;
    v_opens timestamptz;
    v_closes timestamptz;
    v_limit integer;
    v_queue boolean;
    v_live integer;
    v_known bigint[];
    v_free bigint[];
    v_message uuid := gen_random_uuid();
    v_wanted integer := coalesce(cardinality(p_seat_ids), 0);
BEGIN
    SELECT e.status, e.sale_opens_at, e.sale_closes_at, e.max_tickets_per_user, e.queue_enabled
      INTO v_status, v_opens, v_closes, v_limit, v_queue
      FROM {SCHEMA}.events e WHERE e.id = p_event_id;
    IF NOT FOUND THEN
        o_outcome := 'event_not_found'; RETURN;
    ELSIF v_status = 'canceled' THEN
        o_outcome := 'event_canceled'; RETURN;
    ELSIF now() < v_opens THEN
        o_outcome := 'sale_not_open'; o_info := json_build_object('at', v_opens)::text; RETURN;
    ELSIF now() >= v_closes THEN
        o_outcome := 'sale_closed'; o_info := json_build_object('at', v_closes)::text; RETURN;
    ELSIF v_queue AND NOT p_admitted THEN
        o_outcome := 'admission_required'; RETURN;
    ELSIF p_quantity > v_limit THEN
        o_outcome := 'ticket_limit';
        o_info := json_build_object('max_tickets_per_user', v_limit)::text;
        RETURN;
    END IF;
    -- One user's holds on one event run one at a time, so two parallel requests cannot both
    -- pass the limit check below (the same key as any other holder of this lock).
    PERFORM pg_advisory_xact_lock(
        hashtextextended('booking:' || p_user_id || ':' || p_event_id, 0));
    SELECT count(*) INTO v_live FROM {SCHEMA}.seats s
     WHERE s.event_id = p_event_id AND s.user_id = p_user_id
       AND (s.status = 'sold' OR (s.status = 'held' AND s.hold_expires_at > now()));
    IF v_live + p_quantity > v_limit THEN
        o_outcome := 'ticket_limit';
        o_info := json_build_object('max_tickets_per_user', v_limit, 'current', v_live)::text;
        RETURN;
    ELSIF v_wanted = 0 THEN
        o_outcome := 'allowed'; RETURN;
    END IF;
    -- Without locks: a seat that is unknown or already taken fails here, writing nothing and
    -- waiting on no one (latecomers clicking sold seats are most of a hot sale's requests).
    SELECT array_agg(s.seat_id), coalesce(array_agg(s.seat_id) FILTER (WHERE {_FREE}), '{{}}')
      INTO v_known, v_free
      FROM {SCHEMA}.seats s WHERE s.event_id = p_event_id AND s.seat_id = ANY(p_seat_ids);
    IF coalesce(cardinality(v_known), 0) < v_wanted THEN
        o_outcome := 'unknown_seats'; o_info := {_MISSING.format(have="v_known")}; RETURN;
    ELSIF cardinality(v_free) < v_wanted THEN
        o_outcome := 'unavailable'; o_info := {_MISSING.format(have="v_free")}; RETURN;
    END IF;
    -- A seat another fan is taking right now is a lost race, not a wait in line.
    PERFORM set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
    o_expires_at := now() + make_interval(secs => p_hold_seconds);
    WITH taken AS (
        UPDATE {SCHEMA}.seats s SET status = 'held', hold_id = p_hold_id, user_id = p_user_id,
               hold_expires_at = o_expires_at, reservation_id = NULL
         WHERE s.event_id = p_event_id AND s.seat_id = ANY(p_seat_ids) AND {_FREE}
        RETURNING s.seat_id, s.section, s.row, s.number, s.grade, s.price)
    SELECT array_agg(t.seat_id ORDER BY t.seat_id), array_agg(t.section ORDER BY t.seat_id),
           array_agg(t.row ORDER BY t.seat_id), array_agg(t.number ORDER BY t.seat_id),
           array_agg(t.grade ORDER BY t.seat_id), array_agg(t.price ORDER BY t.seat_id)
      INTO o_seat_ids, o_sections, o_rows, o_numbers, o_grades, o_prices FROM taken t;
    IF coalesce(cardinality(o_seat_ids), 0) < v_wanted THEN
        -- All or nothing: the error rolls back the seats this UPDATE did take.
        RAISE EXCEPTION 'seats were taken meanwhile' USING ERRCODE = 'TK409',
            DETAIL = {_MISSING.format(have="o_seat_ids")};
    END IF;
    INSERT INTO {SCHEMA}.holds (id, event_id, user_id, seat_ids, amount, status, expires_at)
    VALUES (p_hold_id, p_event_id, p_user_id, o_seat_ids,
            (SELECT sum(x) FROM unnest(o_prices) x), 'active', o_expires_at);
    -- contracts.booking.SeatsHeld, as kernel.outbox.publish writes it (payload = model_dump).
    INSERT INTO {SCHEMA}.outbox (event_id, event_type, version, payload)
    VALUES (v_message, 'SeatsHeld', 1, jsonb_build_object(
        'message_id', v_message, 'occurred_at', now(), 'event_id', p_event_id,
        'seat_ids', to_jsonb(o_seat_ids), 'user_id', p_user_id, 'hold_id', p_hold_id,
        'expires_at', o_expires_at));
    -- Last, so the event row is locked only while the commit is written; a hold that has its
    -- seats waits its turn here rather than failing on the short seat-lock timeout.
    PERFORM set_config('lock_timeout', p_version_lock_timeout_ms || 'ms', true);
    UPDATE {SCHEMA}.events e SET version = e.version + 1 WHERE e.id = p_event_id
    RETURNING e.version INTO o_version;
    o_outcome := 'held';
END
$fn$
"""  # noqa: S608 - constants only


def upgrade() -> None:
    op.execute(sa.text(TAKE_HOLD))


def downgrade() -> None:
    op.execute(
        sa.text(
            f"DROP FUNCTION {SCHEMA}.take_hold(uuid, uuid, uuid, bigint[], integer, boolean, "
            "integer, integer, integer)"
        )
    )

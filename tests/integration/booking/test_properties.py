"""Random interleavings of hold/release/expire/reserve/confirm/cancel/sweep keep the inventory
honest: after every step no seat is in two live holds or reservations, and a sold seat goes
back on sale only when its reservation is canceled."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.booking.support import published_event, seat_ids
from tests.integration.booking.test_holds import _install, expire
from tiketi.kernel.errors import DomainError
from tiketi.kernel.runtime import Runtime
from tiketi.services.booking.service import holds, inventory, reservations
from tiketi.services.booking.service.common import Booking

USERS = 3
SEATS = 6

_op = st.one_of(
    st.tuples(
        st.just("hold"),
        st.integers(0, USERS - 1),
        st.sets(st.integers(0, SEATS - 1), min_size=1, max_size=3),
    ),
    st.tuples(st.just("best"), st.integers(0, USERS - 1), st.integers(1, 3)),
    st.tuples(st.just("release"), st.integers(0, 20)),
    st.tuples(st.just("reserve"), st.integers(0, 20)),
    st.tuples(st.just("confirm"), st.integers(0, 20)),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("expire")),
    st.tuples(st.just("sweep")),
)  # fmt: skip


async def _state(runtime: Runtime, event_id: str) -> dict[str, Any]:
    eid = uuid.UUID(event_id)
    async with runtime.db.engine.connect() as conn:
        seats = (
            await conn.execute(
                sa.text("SELECT seat_id, status, hold_id, hold_expires_at > now(), reservation_id "
                        "FROM booking.seats WHERE event_id = :e"), {"e": eid},
            )
        ).all()  # fmt: skip
        live_holds = (
            await conn.execute(
                sa.text("SELECT id, seat_ids FROM booking.holds WHERE event_id = :e "
                        "AND status = 'active' AND expires_at > now()"), {"e": eid},
            )
        ).all()  # fmt: skip
        live_res = (
            await conn.execute(
                sa.text("SELECT id, hold_id, seat_ids, status FROM booking.reservations "
                        "WHERE event_id = :e AND (status = 'confirmed' OR "
                        "(status = 'pending_payment' AND expires_at > now()))"), {"e": eid},
            )
        ).all()  # fmt: skip
    return {"seats": seats, "holds": live_holds, "reservations": live_res}


def _check(
    state: dict[str, Any], sold_before: dict[int, str], canceled: set[str]
) -> dict[int, str]:
    by_seat = {row[0]: row for row in state["seats"]}
    claims: dict[int, str] = {}
    # A reserved hold's seats are claimed by its reservation (checked below), not by the hold.
    for hold_id, ids in state["holds"]:
        for seat in ids:
            assert seat not in claims, f"seat {seat} in two live claims"
            claims[seat] = str(hold_id)
            assert by_seat[seat][1] == "held" and str(by_seat[seat][2]) == str(hold_id)
    for rid, _hold, ids, status in state["reservations"]:
        for seat in ids:
            assert seat not in claims, f"seat {seat} in two live claims"
            claims[seat] = rid
            if status == "confirmed":
                assert by_seat[seat][1] == "sold" and by_seat[seat][4] == rid
    sold = {seat: row[4] for seat, row in by_seat.items() if row[1] == "sold"}
    for seat, rid in sold_before.items():
        if rid not in canceled:
            assert sold.get(seat) == rid, f"sold seat {seat} went back on sale"
    return sold


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(_op, min_size=1, max_size=14))
async def test_random_interleavings_keep_inventory_consistent(
    runtime: Runtime, booking: Booking, ops: list[tuple[Any, ...]]
) -> None:
    event = published_event(rows=1, per_row=SEATS, max_tickets=SEATS)
    await _install(runtime, event)
    ids = seat_ids(event)
    users = [str(uuid.uuid4()) for _ in range(USERS)]
    made_holds: list[tuple[str, str]] = []
    made_res: list[tuple[str, str, int]] = []
    canceled: set[str] = set()
    sold: dict[int, str] = {}
    for op in ops:
        # Refusals (409, 410, 422…) are fine: the invariants must hold whatever happened.
        with contextlib.suppress(DomainError):
            await _apply(
                booking, runtime, event.event_id, op, ids, users, made_holds, made_res, canceled
            )
        sold = _check(await _state(runtime, event.event_id), sold, canceled)


async def _apply(
    booking: Booking,
    runtime: Runtime,
    event_id: str,
    op: tuple[Any, ...],
    ids: list[int],
    users: list[str],
    made_holds: list[tuple[str, str]],
    made_res: list[tuple[str, str, int]],
    canceled: set[str],
) -> None:
    kind = op[0]
    if kind in ("hold", "best"):
        user = users[op[1]]
        if kind == "hold":
            hold = await holds.hold_seats(
                booking=booking, user_id=user, event_id=event_id, seat_ids=[ids[i] for i in op[2]]
            )
        else:
            hold = await holds.hold_seats(
                booking=booking, user_id=user, event_id=event_id, grade="VIP", quantity=op[2]
            )
        made_holds.append((user, hold.id))
    elif kind == "release" and made_holds:
        user, hold_id = made_holds[op[1] % len(made_holds)]
        await holds.release_hold(booking=booking, user_id=user, hold_id=hold_id)
    elif kind == "reserve" and made_holds:
        user, hold_id = made_holds[op[1] % len(made_holds)]
        res = await reservations.create_reservation(booking=booking, user_id=user, hold_id=hold_id)
        made_res.append((user, res.id, res.amount))
    elif kind == "confirm" and made_res:
        _, rid, amount = made_res[op[1] % len(made_res)]
        await reservations.confirm_reservation(
            booking=booking, reservation_id=rid, payment_key=f"pk-{rid}", amount=amount
        )
    elif kind == "cancel" and made_res:
        user, rid, _ = made_res[op[1] % len(made_res)]
        await reservations.cancel_reservation(booking=booking, user_id=user, reservation_id=rid)
        canceled.add(rid)
    elif kind == "expire":
        await expire(runtime, event_id)
    elif kind == "sweep":
        await inventory.sweep_expired(booking=booking)

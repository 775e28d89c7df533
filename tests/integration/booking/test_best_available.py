"""Best-available against PostgreSQL: the same choice as over every seat, from a few rows only."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tests.api.booking.support import published_event, seat_ids
from tests.integration.booking.test_holds import _install
from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.errors import DomainError
from tiketi.kernel.runtime import Runtime
from tiketi.services.booking.adapters.inventory import Inventory
from tiketi.services.booking.adapters.seats import SeatStatements
from tiketi.services.booking.domain.claims import SeatClaims
from tiketi.services.booking.domain.errors import UnknownSeats
from tiketi.services.booking.domain.seating import best_available, free_runs, run_rank
from tiketi.services.booking.service import holds
from tiketi.services.booking.service.common import Booking


class _CountingConnection:
    """The asyncpg connection under a session, counting the rows its reads return."""

    def __init__(self, connection: Any, counts: list[int]) -> None:
        self._connection = connection
        self._counts = counts

    async def fetch(self, *args: Any, **kwargs: Any) -> Any:
        rows = await self._connection.fetch(*args, **kwargs)
        self._counts.append(len(rows))
        return rows

    async def fetchval(self, *args: Any, **kwargs: Any) -> Any:
        self._counts.append(1)
        return await self._connection.fetchval(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


@pytest.fixture
def rows_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows each read of the hold path's statements returned (best-available reads that way)."""
    counts: list[int] = []
    init = SeatStatements.__init__

    def counting(self: SeatStatements, connection: Any) -> None:
        init(self, _CountingConnection(connection, counts))

    monkeypatch.setattr(SeatStatements, "__init__", counting)
    return counts


async def _take_seats(runtime: Runtime, event_id: str, ids: list[int], *, expired: bool) -> None:
    """Seats held by someone (or held once, and run out: free again)."""
    expires = "now() - interval '1 minute'" if expired else "now() + interval '5 minutes'"
    async with runtime.db.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "UPDATE booking.seats SET status = 'held', hold_id = :hold, user_id = :user, "
                f"hold_expires_at = {expires} WHERE event_id = :event AND seat_id = ANY(:ids)"
            ),
            {"hold": uuid.uuid4(), "user": uuid.uuid4(), "event": uuid.UUID(event_id), "ids": ids},
        )


async def _choose(runtime: Runtime, event_id: str, quantity: int) -> list[int] | str:
    async with UnitOfWork(runtime.db.sessions) as uow:
        try:
            statements = await Inventory(uow.session).statements()
            return await holds._choose(
                statements, SeatClaims(), uuid.UUID(event_id), "VIP", quantity
            )
        except DomainError as exc:
            return exc.code


async def _whole_grade(runtime: Runtime, event_id: str, quantity: int) -> list[int] | None:
    async with UnitOfWork(runtime.db.sessions) as uow:
        places = await (await Inventory(uow.session).statements()).grade_places(
            event_id=uuid.UUID(event_id), grade="VIP"
        )
    chosen = best_available(places, quantity)
    return sorted(chosen) if chosen is not None else None


async def test_choices_match_the_whole_grade_on_random_maps(runtime: Runtime) -> None:
    rng = random.Random(4)
    for _ in range(25):
        event = published_event(rows=5, per_row=rng.randint(3, 9))
        await _install(runtime, event)
        ids = seat_ids(event)
        taken = rng.sample(ids, rng.randint(0, len(ids)))
        half = len(taken) // 2
        await _take_seats(runtime, event.event_id, taken[:half], expired=False)
        await _take_seats(runtime, event.event_id, taken[half:], expired=rng.random() < 0.5)
        quantity = rng.randint(1, 5)
        expected = await _whole_grade(runtime, event.event_id, quantity)
        assert await _choose(runtime, event.event_id, quantity) == (
            expected if expected is not None else "SEAT_UNAVAILABLE"
        )


async def test_the_runs_come_back_in_the_domains_order(runtime: Runtime) -> None:
    event = published_event(rows=4, per_row=7)
    await _install(runtime, event)
    ids = seat_ids(event)
    await _take_seats(runtime, event.event_id, ids[1:3] + ids[9:10] + ids[15:18], expired=False)
    event_id = uuid.UUID(event.event_id)
    async with UnitOfWork(runtime.db.sessions) as uow:
        inventory = await Inventory(uow.session).statements()
        places = await inventory.grade_places(event_id=event_id, grade="VIP")
        for quantity in (1, 2, 3, 4, 5, 8):
            runs, available = await inventory.best_runs(
                event_id=event_id, grade="VIP", quantity=quantity
            )
            assert available == sum(p.free for p in places)

            def rank(run: Any, q: int = quantity) -> tuple[int, int, int, int]:
                return run_rank(
                    length=run.length,
                    section_index=run.section_index,
                    row_index=run.row_index,
                    quantity=q,
                )

            expected = sorted(free_runs(places), key=rank)[:quantity]
            assert [rank(r) for r in runs] == [rank(r) for r in expected]


async def test_an_unknown_grade_and_a_sold_out_grade(runtime: Runtime, booking: Booking) -> None:
    event = published_event(rows=1, per_row=3)
    await _install(runtime, event)
    with pytest.raises(DomainError) as unknown:
        await holds.hold_seats(
            booking=booking, user_id=str(uuid.uuid4()), event_id=event.event_id,
            grade="R", quantity=1,
        )  # fmt: skip
    assert isinstance(unknown.value, UnknownSeats)
    assert unknown.value.details == {"grade": "R"}
    await _take_seats(runtime, event.event_id, seat_ids(event)[:2], expired=False)
    with pytest.raises(DomainError) as sold_out:
        await holds.hold_seats(
            booking=booking, user_id=str(uuid.uuid4()), event_id=event.event_id,
            grade="VIP", quantity=2,
        )  # fmt: skip
    assert sold_out.value.code == "SEAT_UNAVAILABLE"
    assert sold_out.value.details["available"] == 1


ROWS, PER_ROW = 400, 50  # 20,000 seats of one grade


@pytest.mark.parametrize("pattern", ["front_sold", "checkerboard"])
async def test_a_big_grade_is_not_read_whole(
    runtime: Runtime, booking: Booking, rows_read: list[int], pattern: str
) -> None:
    event = published_event(rows=ROWS, per_row=PER_ROW, max_tickets=4)
    await _install(runtime, event)
    ids = seat_ids(event)
    # front_sold: the front 300 rows are gone, the best seats are deep in the grade.
    # checkerboard: every other seat is taken, no row has two together, the hold is split.
    taken = ids[: 300 * PER_ROW] if pattern == "front_sold" else ids[::2]
    await _take_seats(runtime, event.event_id, taken, expired=False)
    expected = await _whole_grade(runtime, event.event_id, 4)
    assert expected is not None
    rows_read.clear()

    hold = await holds.hold_seats(
        booking=booking, user_id=str(uuid.uuid4()), event_id=event.event_id,
        grade="VIP", quantity=4,
    )  # fmt: skip

    assert sorted(seat.id for seat in hold.seats) == expected
    # At most `quantity` runs, then the seats of at most `quantity` rows; never the 20,000.
    assert rows_read and sum(rows_read) <= 4 + 4 * PER_ROW
    if pattern == "front_sold":
        assert sum(rows_read) <= 4 + PER_ROW  # a run fits: its row alone is read


async def test_seats_another_hold_is_taking_are_skipped_unless_nothing_else_is_left(
    runtime: Runtime,
) -> None:
    event = published_event(rows=2, per_row=4)
    await _install(runtime, event)
    event_id = uuid.UUID(event.event_id)
    claims = SeatClaims()
    async with UnitOfWork(runtime.db.sessions) as uow:
        statements = await Inventory(uow.session).statements()

        async def choose(quantity: int) -> list[int]:
            return await holds._choose(statements, claims, event_id, "VIP", quantity)

        first = await choose(2)
        with claims.claim(event_id, first):
            second = await choose(2)
            assert not set(first) & set(second)  # a concurrent fan is offered other seats
            with claims.claim(event_id, second):
                third = await choose(4)  # the other row, whole
                assert not set(third) & (set(first) | set(second))
                with claims.claim(event_id, third):
                    # Everything free is being taken: race for the best, as without claims.
                    assert await choose(2) == first
        assert claims.of(event_id) == frozenset()
        assert await choose(2) == first


async def test_fans_choosing_at_once_in_one_process_are_offered_different_seats(
    runtime: Runtime, booking: Booking, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every attempt waits until all four fans have chosen: their reads all saw the same free
    # row, so only the claims can tell them apart. One attempt each: a lost race would fail.
    booking.settings = booking.settings.model_copy(update={"best_available_attempts": 1})
    event = published_event(rows=1, per_row=10)
    await _install(runtime, event)
    fans, waiting, everyone = 4, [0], asyncio.Event()
    take_hold = SeatStatements.take_hold

    async def after_everyone_chose(self: SeatStatements, **kwargs: Any) -> Any:
        waiting[0] += 1
        if waiting[0] == fans:
            everyone.set()
        await everyone.wait()
        return await take_hold(self, **kwargs)

    monkeypatch.setattr(SeatStatements, "take_hold", after_everyone_chose)

    async def hold() -> list[int]:
        view = await holds.hold_seats(
            booking=booking, user_id=str(uuid.uuid4()), event_id=event.event_id,
            grade="VIP", quantity=2,
        )  # fmt: skip
        return [seat.id for seat in view.seats]

    results = await asyncio.wait_for(asyncio.gather(*(hold() for _ in range(fans))), 30)
    seats = [seat for pair in results for seat in pair]
    assert len(seats) == len(set(seats)) == 2 * fans
    assert booking.claims.of(uuid.UUID(event.event_id)) == frozenset()

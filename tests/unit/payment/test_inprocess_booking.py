"""Booking in the same process (adapters/booking.py InProcessBooking): the answers and failures
of the HTTP client, without HTTP."""

from __future__ import annotations

import asyncio

import pytest

from tiketi.contracts.reservations import PayableReservation, PaymentAttachment
from tiketi.services.payment.adapters.booking import (
    ConfirmAnswer,
    InProcessBooking,
    ReservationInfo,
)
from tiketi.services.payment.domain.errors import BookingUnavailable


class _Desk:
    """Booking's ReservationDesk played by the test."""

    def __init__(self) -> None:
        self.reservations: dict[tuple[str, str], PayableReservation] = {}
        self.fail: Exception | None = None
        self.delay = 0.0
        self.finished: list[str] = []

    async def reservation(self, reservation_id: str, *, user_id: str) -> PayableReservation | None:
        if self.fail is not None:
            raise self.fail
        return self.reservations.get((reservation_id, user_id))

    async def confirm(
        self, reservation_id: str, *, payment_key: str, amount: int
    ) -> PaymentAttachment | None:
        await asyncio.sleep(self.delay)
        self.finished.append(reservation_id)
        if reservation_id == "missing":
            return None
        return PaymentAttachment(outcome="confirmed", confirmed=True)


async def test_answers_are_the_http_clients() -> None:
    desk = _Desk()
    desk.reservations["R1", "u1"] = PayableReservation(id="R1", status="pending_payment", amount=5)
    booking = InProcessBooking(desk, timeout=1.0)
    assert await booking.reservation("R1", user_id="u1", bearer="") == ReservationInfo(
        id="R1", status="pending_payment", amount=5
    )
    # Someone else's reservation reads as none, as booking's 404 does.
    assert await booking.reservation("R1", user_id="u2", bearer="") is None
    assert await booking.confirm("R1", payment_key="k", amount=5) == ConfirmAnswer(
        outcome="confirmed", confirmed=True
    )
    assert await booking.confirm("missing", payment_key="k", amount=5) is None


async def test_a_failure_is_booking_unavailable() -> None:
    desk = _Desk()
    desk.fail = RuntimeError("the database is gone")
    with pytest.raises(BookingUnavailable):
        await InProcessBooking(desk, timeout=1.0).reservation("R1", user_id="u1", bearer="")


async def test_a_slow_booking_is_unavailable_but_finishes_its_work() -> None:
    desk = _Desk()
    desk.delay = 0.2
    booking = InProcessBooking(desk, timeout=0.05)
    with pytest.raises(BookingUnavailable):
        await booking.confirm("R1", payment_key="k", amount=5)
    # The caller gave up; booking's confirmation was not cut short (the reconciler will find
    # it confirmed, as it would after a lost HTTP answer).
    for _ in range(100):
        if desk.finished:
            break
        await asyncio.sleep(0.01)
    assert desk.finished == ["R1"]

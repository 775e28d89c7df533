"""SeatClaims: what this process's holds are taking right now, counted per seat."""

from __future__ import annotations

import uuid

import pytest

from tiketi.services.booking.domain.claims import SeatClaims


def test_claims_last_as_long_as_their_block_and_are_counted_per_seat() -> None:
    claims, event, other = SeatClaims(), uuid.uuid4(), uuid.uuid4()
    with claims.claim(event, [1, 2]):
        assert claims.of(event) == {1, 2}
        assert claims.of(other) == frozenset()
        with claims.claim(event, [2, 3]):  # two attempts racing for seat 2
            assert claims.of(event) == {1, 2, 3}
        assert claims.of(event) == {1, 2}  # the first attempt still takes seat 2
    assert claims.of(event) == frozenset()


def test_a_failed_attempt_gives_its_seats_back() -> None:
    claims, event = SeatClaims(), uuid.uuid4()
    with pytest.raises(RuntimeError), claims.claim(event, [7]):
        raise RuntimeError("the database went away")
    assert claims.of(event) == frozenset()


def test_a_seat_named_twice_is_claimed_twice_and_given_back_whole() -> None:
    claims, event = SeatClaims(), uuid.uuid4()
    with claims.claim(event, [4, 4]):
        assert claims.of(event) == {4}
    assert claims.of(event) == frozenset()

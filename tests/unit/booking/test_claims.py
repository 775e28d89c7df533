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


def test_seats_given_back_after_a_choice_began_still_count_for_it() -> None:
    clock = [100.0]
    claims, event = SeatClaims(clock=lambda: clock[0]), uuid.uuid4()
    with claims.claim(event, [1]):
        pass  # given back at 100.0: a hold that committed before the choice below began
    clock[0] = 101.0
    since = claims.now()
    with claims.claim(event, [2, 3]):
        clock[0] = 102.0  # this one commits while the choice reads
    assert claims.of(event) == frozenset()
    assert claims.of(event, since=since) == {2, 3}
    assert claims.of(uuid.uuid4(), since=since) == frozenset()
    clock[0] = 102.0 + 31
    with claims.claim(event, [4]):
        pass
    assert claims.of(event, since=since) == {4}  # older ones are forgotten in time

"""The bench's own arithmetic: fairness inversions, admission rates, the proof of work."""

from __future__ import annotations

import hashlib
import itertools
import random

from bench.journeys import solve
from bench.load import Sample
from bench.results import STEP_SUCCESS, journey_errors, step_rows
from bench.room import RoomWatch, _count_inversions


def _brute_force(values: list[int]) -> int:
    return sum(1 for i, j in itertools.combinations(range(len(values)), 2) if values[i] > values[j])


def test_inversions_count_every_pair_out_of_order() -> None:
    rng = random.Random(7)
    for size in (0, 1, 2, 5, 50, 200):
        values = [rng.randrange(100) for _ in range(size)]
        assert _count_inversions(list(values)) == _brute_force(values)
    assert _count_inversions([1, 2, 3, 4]) == 0
    assert _count_inversions([4, 3, 2, 1]) == 6


def test_fans_first_seen_in_one_sample_are_one_batch_not_an_inversion() -> None:
    watch = RoomWatch()
    # tickets 3 and 1 appear in the same sample: one batch; 2 later but lower than 3: one pair.
    watch.first_seen = {"a": (0.05, 3), "b": (0.05, 1), "c": (0.10, 2), "d": (0.15, 4)}
    assert watch.inversions() == 1


def test_rate_counts_from_the_last_quiet_sample_to_the_first_full_one() -> None:
    watch = RoomWatch()
    watch.progress = [(0.0, 0), (1.0, 0), (1.5, 50), (2.0, 100), (2.5, 100), (9.0, 100)]
    assert watch.admitted() == 100
    assert watch.admitting_seconds() == 1.0
    assert watch.rate() == 100.0
    assert watch.peak_rate(window=1.0) == 100.0


def test_no_admission_is_no_rate() -> None:
    watch = RoomWatch()
    watch.progress = [(0.0, 5), (1.0, 5)]
    assert watch.admitted() == 0 and watch.rate() == 0.0


def test_a_solved_challenge_starts_with_the_asked_zero_bits() -> None:
    nonce = solve("challenge-x", 12)
    digest = hashlib.sha256(f"challenge-x:{nonce}".encode()).digest()
    assert int.from_bytes(digest, "big") >> (256 - 12) == 0


def test_step_rows_split_outcomes_by_step_and_keep_only_failures_as_errors() -> None:
    sample = Sample(started=0.0, finished=10.0)
    sample.steps = {"hold": [10.0, 20.0, 30.0], "confirm": [5.0]}
    sample.outcomes.update({"hold 201": 2, "hold 409 SEAT_UNAVAILABLE": 1, "confirm 200": 1})
    assert journey_errors([sample]) == {"hold 409 SEAT_UNAVAILABLE": 1}
    rows = {row.scenario: row for row in step_rows("x", [sample], 10.0)}
    assert set(rows) == {"x: hold", "x: confirm"}
    assert rows["x: hold"].requests == 3 and rows["x: hold"].throughput == 0.3
    assert rows["x: hold"].errors == {"409 SEAT_UNAVAILABLE": 1}
    assert not rows["x: confirm"].errors
    assert set(STEP_SUCCESS) >= {"join", "status", "hold", "reserve", "pay", "confirm"}

"""The pre-queue shuffle: a permutation, reproducible from the seed, uniform, unbiased."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections import Counter

import pytest

from tiketi.services.queue.domain.fairness import (
    DrawStream,
    anonymise,
    commitment,
    new_seed,
    shuffle,
    verify,
)

SEED = "00" * 31 + "01"


def _seeds(count: int) -> list[str]:
    # Deterministic "random" seeds: the test gives the same verdict every run.
    return [hashlib.sha256(f"seed-{i}".encode()).hexdigest() for i in range(count)]


def test_the_shuffle_is_a_permutation_of_the_joiners() -> None:
    joiners = [anonymise("evt", f"user-{i}") for i in range(500)]

    order = shuffle(new_seed(), joiners)

    assert sorted(order) == sorted(joiners)
    assert len(set(order)) == 500


def test_the_same_seed_and_joiners_give_the_same_order_whatever_their_input_order() -> None:
    joiners = [anonymise("evt", f"user-{i}") for i in range(100)]
    seed = new_seed()

    assert shuffle(seed, joiners) == shuffle(seed, list(reversed(joiners)))
    assert shuffle(seed, joiners) != shuffle(new_seed(), joiners)


def test_small_and_empty_lists() -> None:
    assert shuffle(SEED, []) == []
    assert shuffle(SEED, ["a"]) == ["a"]


def test_a_known_answer_that_other_implementations_can_check_against() -> None:
    # docs/waiting-room.md quotes this vector: seed 00…01, joiners "a".."e".
    assert shuffle(SEED, ["e", "d", "c", "b", "a"]) == ["d", "c", "e", "a", "b"]


def test_the_draws_are_hmac_sha256_of_the_counter() -> None:
    stream = DrawStream(bytes.fromhex(SEED))
    first = int.from_bytes(
        hmac.digest(bytes.fromhex(SEED), (0).to_bytes(8, "big"), "sha256")[:8], "big"
    )

    assert stream.below(2**63) == first % 2**63


def test_rejection_sampling_redraws_values_past_the_last_whole_multiple() -> None:
    class Scripted(DrawStream):
        def __init__(self, values: list[int]) -> None:
            super().__init__(b"x")
            self.values = values

        def _next(self) -> int:
            return self.values.pop(0)

    # For n = 3, 2**64 % 3 == 1: the single value 2**64 - 1 would favour 0; it is redrawn.
    stream = Scripted([2**64 - 1, 7])
    assert stream.below(3) == 7 % 3
    assert stream.values == []
    with pytest.raises(ValueError):
        stream.below(0)


def test_every_order_of_three_is_about_equally_likely() -> None:
    # 6 orders, 6,000 seeds: chi-square with 5 degrees of freedom stays under 20.5 (p=0.001).
    counts = Counter(tuple(shuffle(seed, ["a", "b", "c"])) for seed in _seeds(6000))
    assert set(counts) == set(itertools.permutations(["a", "b", "c"]))
    expected = 1000
    chi_square = sum((seen - expected) ** 2 / expected for seen in counts.values())
    assert chi_square < 20.5, counts


def test_every_position_is_about_equally_likely_for_each_joiner() -> None:
    joiners = [f"j{i}" for i in range(8)]
    positions: Counter[tuple[str, int]] = Counter()
    for seed in _seeds(4000):
        for position, name in enumerate(shuffle(seed, joiners)):
            positions[name, position] += 1
    # 4000 / 8 = 500 expected per cell; 64 cells, 49 degrees of freedom: under 90 (p=0.001).
    chi_square = sum((seen - 500) ** 2 / 500 for seen in positions.values())
    assert chi_square < 90


def test_commitment_and_verification() -> None:
    seed = new_seed()
    joiners = [anonymise("evt", f"u{i}") for i in range(20)]
    order = shuffle(seed, joiners)

    assert commitment(seed) == hashlib.sha256(bytes.fromhex(seed)).hexdigest()
    assert verify(seed, commitment(seed), joiners, order)
    assert not verify(new_seed(), commitment(seed), joiners, order)
    assert not verify(seed, commitment(seed), joiners, list(reversed(order)))


def test_anonymised_ids_are_sha256_of_event_and_user() -> None:
    assert anonymise("e", "u") == hashlib.sha256(b"e:u").hexdigest()
    assert anonymise("e", "u") != anonymise("e2", "u")

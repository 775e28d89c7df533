"""The measured admission pace behind the published ETA: every admission counts, whatever
let the fan in; the estimate is smoothed, bounded, and falls back to the allowed rate."""

from __future__ import annotations

import itertools

import pytest

from tiketi.services.queue.domain.pace import MAX_SECONDS_PER_PERSON, AdmissionPace

TICK = 0.2


def _run(
    pace: AdmissionPace,
    *,
    seconds: float,
    per_second: float,
    start: float = 0.0,
    total: int = 0,
    waiting: int = 100,
) -> tuple[float, int, list[float]]:
    """Tick every 0.2 s; admissions happen between ticks at `per_second` (made anywhere: the
    counter just rises). Returns the clock, the counter and the ETA per person at each tick."""
    now, owed, etas = start, 0.0, []
    for _ in range(round(seconds / TICK)):
        now += TICK
        owed += per_second * TICK
        made = int(owed + 1e-9)
        owed -= made
        total += made
        pace.observe(total=total, now=now, waiting=waiting)
        etas.append(pace.seconds_per_person(200.0))
    return now, total, etas


def test_admissions_only_when_fans_leave_one_a_second_give_about_a_second_per_person() -> None:
    # max_active bounds the room: the admitter's own ticks admit nobody; every admission is
    # capacity given back by a leaver, once a second. The allowed rate (200/s) is far off.
    pace = AdmissionPace()
    _, _, etas = _run(pace, seconds=60, per_second=1.0)
    settled = etas[round(10 / TICK) :]
    assert min(settled) >= 0.8 and max(settled) <= 1.25
    assert etas[-1] == pytest.approx(1.0, rel=0.1)


def test_the_estimate_is_stable_between_sparse_admissions() -> None:
    # One admission every 5 s: per-tick counts are 0, 0, … 1 (a rate of 0 or 5/s), yet the
    # estimate stays near 5 s per person instead of swinging between extremes.
    pace = AdmissionPace()
    _, _, etas = _run(pace, seconds=120, per_second=0.2)
    settled = etas[round(40 / TICK) :]
    assert min(settled) >= 3.5 and max(settled) <= 7.0


def test_a_fast_room_measures_its_real_pace_and_never_beats_the_allowed_rate() -> None:
    pace = AdmissionPace()
    _run(pace, seconds=20, per_second=50.0)
    assert pace.rate() == pytest.approx(50, rel=0.05)
    assert pace.seconds_per_person(200.0) == pytest.approx(0.02, rel=0.05)
    # The control loop just halved the rate to 20/s: nobody is admitted faster than that.
    assert pace.seconds_per_person(20.0) == pytest.approx(0.05)


def test_before_anything_is_admitted_the_allowed_rate_is_the_estimate() -> None:
    pace = AdmissionPace()
    assert pace.rate() is None
    assert pace.seconds_per_person(4.0) == 0.25
    assert pace.seconds_per_person(0.0) == MAX_SECONDS_PER_PERSON
    # Fans wait, nothing admitted yet (every admitted fan still shopping): still the fallback.
    _run(pace, seconds=5, per_second=0.0)
    assert pace.rate() is None and pace.seconds_per_person(4.0) == 0.25
    # A single admission a moment ago is not yet a measurement (less than min_span).
    fresh = AdmissionPace()
    fresh.observe(total=0, now=0.0, waiting=5)
    fresh.observe(total=3, now=0.2, waiting=5)
    assert fresh.rate() is None


def test_a_stall_slows_the_estimate_down_gradually_and_it_stays_bounded() -> None:
    pace = AdmissionPace()
    now, total, _ = _run(pace, seconds=30, per_second=1.0)
    _, _, etas = _run(pace, seconds=3000, per_second=0.0, start=now, total=total)
    assert all(later >= earlier for earlier, later in itertools.pairwise(etas))
    # Five quiet seconds: half the admissions of the last window, not "nobody moves".
    assert etas[round(5 / TICK)] == pytest.approx(2.0, rel=0.05)
    assert etas[-1] <= MAX_SECONDS_PER_PERSON
    # Admissions resume: the estimate follows within about a window.
    _run(pace, seconds=15, per_second=1.0, start=now + 3000, total=total)
    assert pace.seconds_per_person(200.0) == pytest.approx(1.0, rel=0.25)


def test_an_empty_line_pauses_the_measurement() -> None:
    pace = AdmissionPace()
    now, total, _ = _run(pace, seconds=20, per_second=2.0)
    # Ten minutes with nobody waiting and nobody admitted say nothing about the next crowd.
    now, total, _ = _run(pace, seconds=600, per_second=0.0, start=now, total=total, waiting=0)
    assert pace.seconds_per_person(200.0) == pytest.approx(0.5, rel=0.1)


def test_a_recreated_room_starts_the_measurement_over() -> None:
    pace = AdmissionPace()
    now, _, _ = _run(pace, seconds=20, per_second=2.0, total=1000)
    pace.observe(total=0, now=now + TICK, waiting=10)  # the counter went back: a new epoch
    assert pace.rate() is None
    assert pace.seconds_per_person(5.0) == 0.2


def test_a_quiet_room_measures_nothing_and_a_line_counts_every_admission() -> None:
    # Nobody waits: joiners are let in at once; that is demand, not the pace of a line.
    pace = AdmissionPace()
    now, total, _ = _run(pace, seconds=20, per_second=3.0, waiting=0)
    assert pace.rate() is None and pace.seconds_per_person(8.0) == 0.125
    # A line forms: from then on every admission counts, whatever made it.
    _run(pace, seconds=20, per_second=3.0, start=now, total=total, waiting=40)
    assert pace.rate() == pytest.approx(3.0, rel=0.1)

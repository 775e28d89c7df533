"""The served process's garbage collector settings."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tiketi.kernel.tuning import GC_OLDER_THRESHOLDS, refreeze_gc, tune_gc


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restored_gc")
def test_tuning_freezes_start_up_objects_and_raises_the_young_threshold() -> None:
    gc.unfreeze()
    built_at_start = [[n] for n in range(10)]  # lists: objects the collector tracks
    tune_gc(20_000)
    assert gc.get_threshold() == (20_000, *GC_OLDER_THRESHOLDS)
    assert gc.get_freeze_count() > len(built_at_start)
    scanned = {id(o) for o in gc.get_objects()}  # every generation, not the frozen ones
    assert not any(id(o) in scanned for o in built_at_start)


@pytest.mark.usefixtures("restored_gc")
def test_zero_leaves_the_collector_alone() -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    tune_gc(0)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("restored_gc")
def test_what_start_up_built_is_frozen_too_only_in_a_tuned_process() -> None:
    gc.unfreeze()
    built_by_start_up = [[n] for n in range(10)]
    refreeze_gc()  # an untuned process (the tests' apps) keeps its collector as it is
    assert gc.get_freeze_count() == 0
    tune_gc(20_000)
    built_by_start_up = [[n] for n in range(10)]
    refreeze_gc()
    scanned = {id(o) for o in gc.get_objects()}
    assert not any(id(o) in scanned for o in built_by_start_up)

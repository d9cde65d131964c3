"""Bulk work runs the cyclic garbage collector less often, and only while it lasts."""

from __future__ import annotations

import gc

import pytest

from adapters.pipeline.collector import BULK_THRESHOLD, bulk_work


def test_bulk_work_raises_the_young_generations_threshold_and_restores_it() -> None:
    before = gc.get_threshold()
    with bulk_work():
        assert gc.get_threshold() == (max(BULK_THRESHOLD, before[0]), *before[1:])
        with bulk_work():  # nested: the outer setting comes back
            pass
        assert gc.get_threshold()[0] == max(BULK_THRESHOLD, before[0])
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), bulk_work():
        raise RuntimeError("a failed ingest")
    assert gc.get_threshold() == before


def test_bulk_work_collects_fewer_times() -> None:
    runs: list[str] = []

    def count(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            runs.append(phase)

    def allocate() -> int:
        runs.clear()
        kept = [(i, str(i)) for i in range(100_000)]  # young objects that stay alive
        del kept
        return len(runs)

    gc.callbacks.append(count)
    try:
        default, bulk = allocate(), 0
        with bulk_work():
            bulk = allocate()
    finally:
        gc.callbacks.remove(count)
    assert bulk * 10 < default

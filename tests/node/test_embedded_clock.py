"""The block clock: wall time plus offset, strictly increasing, one-shot chosen timestamps."""

from __future__ import annotations

import pytest

from node.embedded.clock import DevClock
from node.errors import JsonRpcError


class FakeTime:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_timestamps_follow_the_wall_clock_but_always_increase() -> None:
    time = FakeTime(1_000.7)
    clock = DevClock(now=time)
    assert clock.timestamp_after(900) == 1_000
    assert clock.timestamp_after(1_000) == 1_001  # a block per second at most in real time
    assert clock.increase(60) == 60
    assert clock.timestamp_after(900) == 1_060


def test_a_chosen_timestamp_is_used_once_then_time_goes_on_from_it() -> None:
    time = FakeTime(1_000)
    clock = DevClock(now=time)
    clock.set_next(5_000, head_timestamp=999)
    assert clock.timestamp_after(999) == 5_000
    settings = clock.settings_after(5_000)
    clock.block_sealed(settings)
    time.now = 1_010
    assert clock.timestamp_after(5_000) == 5_010
    with pytest.raises(JsonRpcError) as raised:
        clock.set_next(5_000, head_timestamp=5_000)
    assert raised.value.code == -32602


def test_settings_round_trip() -> None:
    time = FakeTime(1_000)
    clock = DevClock(now=time)
    clock.increase(42)
    clock.set_next(2_000, head_timestamp=1_000)
    again = DevClock.from_settings(clock.settings(), now=time)
    assert again.settings() == {"time_offset": "42", "next_timestamp": "2000"}
    assert again.timestamp_after(1_000) == 2_000

"""The CPU time the whole machine spends, every process included (the ledger's too): what a
figure per entry is compared with to tell how far a rate can go on this machine's cores."""

from __future__ import annotations

import os
from pathlib import Path

PROC_STAT = Path("/proc/stat")
# the counter moves in ticks (10 ms at the usual 100 Hz) and each reading may be a tick off:
# fewer than this many busy ticks in an interval are not reported (±8% at the least)
MIN_TICKS = 25


def busy_ticks(stat: Path = PROC_STAT) -> int | None:
    """Clock ticks all cores have spent busy since boot (user, nice, system, irq, softirq; not
    idle, I/O wait or time stolen by a hypervisor); None where ``/proc/stat`` is missing."""
    try:
        first = stat.read_text(encoding="ascii").split("\n", 1)[0].split()
    except OSError:
        return None
    if len(first) < 8 or first[0] != "cpu":
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    return user + nice + system + irq + softirq


class BusyMeter:
    """Busy CPU time of the whole machine from the meter's creation on."""

    def __init__(self, stat: Path = PROC_STAT) -> None:
        self._stat = stat
        self._start = busy_ticks(stat)

    def us_per(self, count: int) -> float | None:
        """Busy CPU microseconds per item so far, for ``count`` items; None when the machine
        does not say or fewer than ``MIN_TICKS`` ticks went by."""
        end = busy_ticks(self._stat)
        if self._start is None or end is None or count <= 0 or end - self._start < MIN_TICKS:
            return None
        return (end - self._start) / os.sysconf("SC_CLK_TCK") / count * 1e6

"""A one-line progress bar on a terminal stream (standard error), redrawn at most a few times a
second, for long replays."""

from __future__ import annotations

import time
from typing import TextIO


class ProgressBar:
    """Call with (blocks done, blocks in all, events so far); ``close`` ends the line."""

    def __init__(self, stream: TextIO, *, width: int = 30, every: float = 0.2) -> None:
        self.stream = stream
        self.width = width
        self.every = every
        self._started = time.monotonic()
        self._drawn = 0.0
        self._shown = False

    def __call__(self, done: int, total: int, events: int) -> None:
        now = time.monotonic()
        if now - self._drawn < self.every and done < total:
            return
        self._drawn = now
        share = done / total if total else 1.0
        filled = int(share * self.width)
        elapsed = now - self._started
        rate = events / elapsed if elapsed > 0 else 0.0
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\rreplay [{bar}] {share:6.1%}  block {done}/{total}  {events} events  {rate:,.0f}/s")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()

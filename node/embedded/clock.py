"""The ledger's block clock: wall time plus a persisted offset, as anvil's dev time controls."""

from __future__ import annotations

import time
from collections.abc import Callable

from node.embedded.params import invalid


class DevClock:
    """Block timestamps: ``max(now + offset, parent + 1)``, or a one-shot chosen timestamp.

    ``evm_increaseTime`` adds to the offset; ``evm_setNextBlockTimestamp`` fixes the next
    block's time, after which the offset is moved so time goes on from there (as anvil).
    The state is small and saved through :meth:`settings` with every change.
    """

    def __init__(
        self,
        *,
        offset: int = 0,
        next_timestamp: int | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._offset = offset
        self._next = next_timestamp
        self._now = now

    @classmethod
    def from_settings(cls, settings: dict[str, str], *, now: Callable[[], float] = time.time) -> DevClock:
        raw_next = settings.get("next_timestamp", "")
        return cls(
            offset=int(settings.get("time_offset", "0")),
            next_timestamp=int(raw_next) if raw_next else None,
            now=now,
        )

    def settings(self) -> dict[str, str]:
        return {
            "time_offset": str(self._offset),
            "next_timestamp": "" if self._next is None else str(self._next),
        }

    @property
    def offset(self) -> int:
        return self._offset

    def increase(self, seconds: int) -> int:
        """Move the clock forward by ``seconds``; return the total offset."""
        self._offset += seconds
        return self._offset

    def set_next(self, timestamp: int, *, head_timestamp: int) -> None:
        if timestamp <= head_timestamp:
            raise invalid(f"timestamp {timestamp} is not after the latest block's timestamp {head_timestamp}")
        self._next = timestamp

    def timestamp_after(self, parent_timestamp: int) -> int:
        """The timestamp the next block gets (not yet consumed)."""
        if self._next is not None:
            return max(self._next, parent_timestamp + 1)
        return max(int(self._now()) + self._offset, parent_timestamp + 1)

    def settings_after(self, timestamp: int) -> dict[str, str]:
        """The settings to store with a block sealed at ``timestamp``."""
        if self._next is None:
            return self.settings()
        return {"time_offset": str(timestamp - int(self._now())), "next_timestamp": ""}

    def block_sealed(self, settings: dict[str, str]) -> None:
        """The block stored with ``settings`` (from :meth:`settings_after`) was committed."""
        self._offset = int(settings["time_offset"])
        self._next = int(settings["next_timestamp"]) if settings["next_timestamp"] else None

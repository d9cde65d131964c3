"""Activity over the ledger's history, for the report's timeline: events per block range and
province, in at most ``max_buckets`` buckets whose width doubles as the history grows.

Bucket ``k`` of width ``w`` covers blocks ``[k * w, (k + 1) * w)``. The buckets depend only on
the blocks of the events counted, never on how the replay was paged.
"""

from __future__ import annotations

from typing import Any

OTHER = 0  # events of no province (none so far; kept for the chart's legend)


class Activity:
    def __init__(self, *, max_buckets: int = 256, width: int = 1) -> None:
        self.max_buckets = max_buckets
        self.width = width
        self.buckets: dict[int, dict[int, int]] = {}  # bucket -> province code -> events

    def add_counts(self, counts: dict[tuple[int, int], int]) -> None:
        """Add ``{(block, province): events}``."""
        w = self.width
        for (block, province), n in counts.items():
            bucket = self.buckets.setdefault(block // w, {})
            bucket[province] = bucket.get(province, 0) + n
        while len(self.buckets) > self.max_buckets:
            self._coarsen()

    def _coarsen(self) -> None:
        merged: dict[int, dict[int, int]] = {}
        for k, counts in self.buckets.items():
            bucket = merged.setdefault(k // 2, {})
            for p, n in counts.items():
                bucket[p] = bucket.get(p, 0) + n
        self.buckets = merged
        self.width *= 2

    def series(self) -> list[tuple[int, int, dict[int, int]]]:
        """(first block, last block, events by province) per non-empty bucket, in order."""
        return [(k * self.width, (k + 1) * self.width - 1, dict(self.buckets[k])) for k in sorted(self.buckets)]

    def to_json(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "buckets": {str(k): {str(p): n for p, n in c.items()} for k, c in sorted(self.buckets.items())},
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], *, max_buckets: int = 256) -> Activity:
        out = cls(max_buckets=max_buckets, width=int(doc["width"]))
        out.buckets = {int(k): {int(p): int(n) for p, n in c.items()} for k, c in doc["buckets"].items()}
        return out

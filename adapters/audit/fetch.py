"""Raw log pages for the replay: bounded ``eth_getLogs`` block ranges, fetched by parallel
requests and handed over strictly in ledger order, without decoding.

Requests go through ``node.events.EventReader.raw_logs`` (its session per thread, retries and
the halving of ranges an endpoint refuses as too large). Range sizes adapt to the density of
the chain so that one page holds about ``target_logs`` logs: a dense stretch of status-change
batches gets ranges of a few blocks, a sparse one of many thousands. Sizes are decided from
the pages already handed over, in order, so the same chain is always paged the same way; the
replayed state never depends on the paging anyway.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from node.events import EventReader


@dataclass(frozen=True, slots=True)
class RawPage:
    """The raw JSON-RPC logs of blocks ``from_block..to_block`` (inclusive), in ledger order."""

    from_block: int
    to_block: int
    logs: list[dict[str, Any]]


class LogPages:
    """Pages of raw logs of the reader's contracts.

    ``page_blocks`` fixes the range size (no adaptation); otherwise ranges start at
    ``initial_blocks`` and follow the observed density, between 1 and ``max_blocks``, growing
    at most fourfold from one page to the next so that a dense stretch is met with small
    ranges.
    """

    def __init__(
        self,
        reader: EventReader,
        *,
        parallel: int = 4,
        page_blocks: int | None = None,
        target_logs: int = 8_000,
        initial_blocks: int = 16,
        max_blocks: int = 50_000,
    ) -> None:
        if parallel < 1 or (page_blocks is not None and page_blocks < 1) or target_logs < 1:
            raise ValueError("expected parallel >= 1, page_blocks >= 1 and target_logs >= 1")
        self.reader = reader
        self.parallel = parallel
        self.page_blocks = page_blocks
        self.target_logs = target_logs
        self.initial_blocks = initial_blocks
        self.max_blocks = max_blocks

    def pages(self, from_block: int, to_block: int) -> Iterator[RawPage]:
        """Every page from ``from_block`` to ``to_block`` (inclusive), in order."""
        if from_block > to_block:
            return
        size = self.page_blocks or self.initial_blocks
        density: float | None = None  # logs per block, over the pages handed over so far
        seen_logs = seen_blocks = 0
        next_start = from_block
        with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="audit-getlogs") as pool:
            pending: deque[tuple[int, int, Future[list[dict[str, Any]]]]] = deque()

            def submit() -> None:
                nonlocal next_start
                end = min(next_start + size - 1, to_block)
                pending.append((next_start, end, pool.submit(self.reader.raw_logs, next_start, end)))
                next_start = end + 1

            while next_start <= to_block and len(pending) < self.parallel:
                submit()
            while pending:
                start, end, future = pending.popleft()
                logs = future.result()
                if self.page_blocks is None:
                    seen_logs += len(logs)
                    seen_blocks += end - start + 1
                    # recent pages weigh as much as all before them
                    fresh = len(logs) / (end - start + 1)
                    density = fresh if density is None else (density + fresh) / 2
                    overall = seen_logs / seen_blocks
                    estimate = max(density, overall / 4)
                    wanted = int(self.target_logs / estimate) if estimate else self.max_blocks
                    size = max(1, min(self.max_blocks, size * 4, wanted))
                if next_start <= to_block:
                    submit()
                yield RawPage(start, end, logs)

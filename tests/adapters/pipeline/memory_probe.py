"""Child process of the memory test: ingest one export through read → validate → plan → store
and print its peak resident set size and that of it and the processes it started together (a
read-ahead reader), as JSON on the last line of standard output.

``python -m tests.adapters.pipeline.memory_probe PROVINCE KIND FILE STORE_DSN``

The ledger is replaced by ``OutboxConfirmer``, a publisher double that journals every batch in
the real store and confirms it at once: the store, the outbox and the batch journal do all of
their real work; only the transactions are never sent.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.pipeline.ingest import QuarantineReport, ingest
from adapters.pipeline.plan import Planner, utc_now
from adapters.pipeline.publisher import PublishStats
from adapters.store import Store


class OutboxConfirmer:
    """Drains the outbox as ``Publisher`` does (same batching), confirming each batch at once."""

    def __init__(self, store: Store, *, batch_size: int = 500) -> None:
        self.store = store
        self.batch_size = batch_size
        self.stats = PublishStats()
        self._nonce = 0

    def turn(self) -> contextlib.AbstractContextManager[bool]:
        return self.store.publishing()

    def recover(self) -> int:
        return 0

    def pump(self) -> None:
        while ops := self.store.pending_ops(self.batch_size):
            kind = ops[0].op
            group = [o for o in ops if o.op == kind]
            self._nonce += 1
            batch = self.store.journal_batch(
                op=kind,
                op_ids=[o.id for o in group],
                tx={
                    "sender": "0x" + "00" * 20,
                    "nonce": self._nonce,
                    "tx_hash": "0x" + f"{self._nonce:064x}",
                    "raw_tx": b"\x02" * 64,
                    "to_address": "0x" + "00" * 20,
                    "gas": 0,
                },
            )
            self.store.complete_batch(batch, block_number=self._nonce, gas_used=0)
            self.stats.add(kind, len(group), 0)

    def drain(self) -> PublishStats:
        self.pump()
        return self.stats

    @contextlib.contextmanager
    def background(self) -> Iterator[_PumpOnCommit]:
        """As ``Publisher.background``, but publishing in the caller's thread, from the
        outbox, whenever operations were committed."""
        yield _PumpOnCommit(self)
        self.drain()


class _PumpOnCommit:
    def __init__(self, confirmer: OutboxConfirmer) -> None:
        self._confirmer = confirmer

    def committed(self, _ops: object) -> None:
        self._confirmer.pump()


def peak_rss_kib() -> int:
    """This process's peak resident set size (exact, from the kernel)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class FamilySampler:
    """The largest sum of resident set sizes of this process and the processes it started
    (a reader ahead of the pipeline), sampled from /proc while ``running``. A child's own
    ``ru_maxrss`` would count the parent's pages it held between fork and exec."""

    def __init__(self, interval: float = 0.02) -> None:
        self.peak_kib = 0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    @contextlib.contextmanager
    def running(self) -> Iterator[FamilySampler]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(pid) for pid in _family(os.getpid())))


def _family(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def _rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main(province: str, kind: str, path: str, dsn: str) -> None:
    p = Province.parse(province)
    store = Store.open(dsn)
    planner = Planner(keyring=TagKeyring.development(), tag_key_version=1, now=utc_now)
    baseline = peak_rss_kib()
    with FamilySampler().running() as family:
        summary = ingest(
            province=p,
            kind="entries" if kind == "entries" else "evaluations",
            source=Path(path),
            source_name=path,
            store=store,
            planner=planner,
            publisher=OutboxConfirmer(store),  # type: ignore[arg-type]
            quarantine=QuarantineReport(None),
        )
    counts = store.counts()
    store.close()
    result = {
        "summary": summary.as_json(),
        "outbox": counts["outbox"],
        "baseline_kib": baseline,
        "peak_kib": peak_rss_kib(),
        "family_peak_kib": family.peak_kib,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:5])

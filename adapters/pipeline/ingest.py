"""``ingest``: one platform export, streamed from file to confirmed on the ledger.

The export is read in chunks. Each chunk is validated by the dialect reader, planned against
the store (new, amended, status changed, unchanged), written to the store with its outbox
operations in one transaction, and handed to the publisher (as written, so that it need not
read them back), which batches and sends while the next chunk is read. Memory stays bounded by
the chunk size whatever the file's size.

Every refused record — invalid input, or a change the lifecycle forbids — becomes one line of
the quarantine report (JSON Lines: source, location, field, reason, raw value); the valid ones
go on. An operation the ledger refused (``failed``) is reported there too, with field
``ledger`` and the ledger's reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, Literal

from adapters.core.provinces import Province
from adapters.dialects.base import Parsed, Refusal, Source
from adapters.pipeline.collector import bulk_work
from adapters.pipeline.plan import DeltaRefusal, Planner
from adapters.pipeline.publisher import Publisher, Refused
from adapters.pipeline.reader import read_chunks
from adapters.store.store import Store

Kind = Literal["entries", "evaluations"]


@dataclass
class IngestSummary:
    """What one ingest run did.

    ``published``: entries (or results) whose publication was confirmed on the ledger during
    this run; ``already_published``: valid records that were already stored with the same
    content and status, so nothing was sent for them; ``quarantined``: records refused as read
    (invalid, or a change the lifecycle forbids); ``failed``: ledger operations this run wrote
    that the ledger refused (a record may have more than one: its publication and a status
    change after it).
    """

    read: int = 0
    valid: int = 0
    quarantined: int = 0
    published: int = 0
    already_published: int = 0
    amended: int = 0
    status_changes: int = 0
    failed: int = 0

    def as_json(self) -> dict[str, int]:
        return asdict(self)


class QuarantineReport:
    """The refused records of a run, one JSON object per line."""

    def __init__(self, stream: IO[str] | None) -> None:
        self._stream = stream
        self.count = 0

    @classmethod
    def to_path(cls, path: Path | None) -> QuarantineReport:
        return cls(path.open("w", encoding="utf-8") if path else None)

    def add(self, record: dict[str, Any]) -> None:
        self.count += 1
        if self._stream is not None:
            self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")

    def refusal(self, r: Refusal) -> None:
        self.add({"source": r.source, "location": r.location, "field": r.field, "reason": r.reason, "raw": r.raw})

    def delta(self, source: str, r: DeltaRefusal) -> None:
        self.add({"source": source, "location": r.location, "field": r.field, "reason": r.reason, "raw": r.local_id})

    def ledger(self, source: str, refused: Refused, local_id: str, *, earlier: bool) -> None:
        """An operation of a record the ledger refused: valid as read, not applied. ``earlier``:
        written to the outbox before this run (by a run that stopped, or a sync), only sent by it."""
        whose = ", written before this run" if earlier else ""
        location = f"ledger, {refused.op} (operation {refused.op_id}{whose})"
        self.add({"source": source, "location": location, "field": "ledger", "reason": refused.reason, "raw": local_id})

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()


@bulk_work()
def ingest(
    *,
    province: Province,
    kind: Kind,
    source: Source,
    source_name: str,
    store: Store,
    planner: Planner,
    publisher: Publisher,
    quarantine: QuarantineReport,
    chunk_size: int = 5_000,
) -> IngestSummary:
    """Ingest ``source`` (a path, file object or, for Shanghai, records pulled over HTTP).

    Raises ``DialectError`` when the source cannot be read as the province's dialect; records
    accepted before that point stay accepted and published.
    """
    summary = IngestSummary()
    written = _Written()
    # one hold of the publisher lock from the recovery to the last confirmation: no other
    # process publishes for the province in between
    with publisher.turn():
        refused_before = len(publisher.stats.refused)
        try:
            publisher.recover()
            published_op = "publish" if kind == "entries" else "results"
            published_before = publisher.stats.ops.get(published_op, 0)
            with publisher.background() as feed:
                for chunk, ids in read_chunks(province, kind, source, size=chunk_size):
                    summary.read += len(chunk)
                    parsed: list[Parsed[Any]] = []
                    for item in chunk:
                        if isinstance(item, Refusal):
                            quarantine.refusal(item)
                        else:
                            parsed.append(item)
                    plan = planner.plan_stored(store, kind, parsed, ids)
                    for refusal in plan.refusals:
                        quarantine.delta(source_name, refusal)
                    summary.valid += len(parsed) - len(plan.refusals)
                    summary.already_published += plan.unchanged
                    summary.amended += plan.amended
                    summary.status_changes += plan.status_changes
                    op_ids = store.write(plan.changes)
                    written.add(op_ids)
                    feed.committed(plan.outbox_ops(op_ids))
            summary.quarantined = quarantine.count
            summary.published = publisher.stats.ops.get(published_op, 0) - published_before
        finally:
            # also when the export could not be read to its end: what was accepted before has
            # been published, and what the ledger refused of it is reported all the same
            refused = publisher.stats.refused[refused_before:]
            summary.failed = sum(r.op_id in written for r in refused)
            _report_refused(store, quarantine, source_name, refused, written)
    return summary


class _Written:
    """The outbox ids one run wrote: a range per store write (ids come in runs), so that a
    million of them take no memory to speak of."""

    def __init__(self) -> None:
        self._runs: list[range] = []
        self._others: set[int] = set()

    def add(self, ids: Sequence[int]) -> None:
        if ids and ids[-1] - ids[0] == len(ids) - 1:  # ascending and distinct: one run
            self._runs.append(range(ids[0], ids[-1] + 1))
        else:
            self._others.update(ids)

    def __contains__(self, op_id: object) -> bool:
        return op_id in self._others or any(op_id in run for run in self._runs)


def _report_refused(
    store: Store, quarantine: QuarantineReport, source_name: str, refused: Sequence[Refused], written: _Written
) -> None:
    """One quarantine line per operation the ledger refused during the run, naming the record."""
    if not refused:
        return
    records = store.records(sorted({r.record_id for r in refused}))
    for r in refused:
        record = records.get(r.record_id)
        quarantine.ledger(source_name, r, record.local_id if record else r.record_id, earlier=r.op_id not in written)

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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, Literal

from adapters.core.provinces import Province
from adapters.dialects.base import Parsed, Refusal, Source
from adapters.pipeline.collector import bulk_work
from adapters.pipeline.plan import DeltaRefusal, Planner
from adapters.pipeline.publisher import Publisher
from adapters.pipeline.reader import read_chunks
from adapters.store.store import Store

Kind = Literal["entries", "evaluations"]


@dataclass
class IngestSummary:
    """What one ingest run did.

    ``published``: entries (or results) whose publication was confirmed on the ledger during
    this run; ``already_published``: valid records that were already stored with the same
    content and status, so nothing was sent for them; ``quarantined``: records refused as read
    (invalid, or a change the lifecycle forbids); ``failed``: operations of valid records the
    ledger refused during this run.
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

    def ledger(self, source: str, op_id: int, op: str, local_id: str, reason: str) -> None:
        """A record the ledger refused (one of its operations, ``op``): valid as read, not applied."""
        self.add(
            {
                "source": source,
                "location": f"ledger, {op} (operation {op_id})",
                "field": "ledger",
                "reason": reason,
                "raw": local_id,
            }
        )

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
    # one hold of the publisher lock from the recovery to the last confirmation: no other
    # process publishes for the province in between
    with publisher.turn():
        publisher.recover()
        failed_before = {op_id for op_id, *_ in store.failed_ops()}
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
                feed.committed(plan.outbox_ops(store.write(plan.changes)))
        summary.quarantined = quarantine.count
        summary.published = publisher.stats.ops.get(published_op, 0) - published_before
        failed = [f for f in store.failed_ops() if f[0] not in failed_before]
        summary.failed = len(failed)
        records = store.records(sorted({rid for _, _, rid, _ in failed}))
        for op_id, op, rid, reason in failed:
            quarantine.ledger(source_name, op_id, op, records[rid].local_id, reason)
    return summary

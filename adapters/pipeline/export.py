"""Writing the synced copies out for the province's own platform, in its dialect.

The export is a full snapshot of what the province may use now: every other province's entry
and result that is still shared, with its current status. The platform replaces its previous
import with it; an entry that was repaired, revoked or expired is simply no longer there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from adapters.core.model import EntryStatus, EvaluationResult, ListEntry, SourceEntry, SourceEvaluation
from adapters.core.package import RecordPackage
from adapters.core.provinces import Province
from adapters.dialects import DIALECTS
from adapters.pipeline.sync import is_shared
from adapters.store.rows import StoredRecord, StoredVersion
from adapters.store.store import Store

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ExportResult:
    entries_path: Path
    evaluations_path: Path
    entries: int
    evaluations: int


def _record(rec: StoredRecord, version: StoredVersion) -> ListEntry | EvaluationResult:
    doc = {
        "kind": rec.kind,
        "schema_version": 1,
        "province": rec.province,
        "entry_id": rec.record_id,
        "version": version.version,
        "salt": version.salt,
        "subject_tag": rec.subject_tag,
        "tag_key_version": max(rec.tag_key_version, 1),
        "record": orjson.loads(version.record or "null"),
    }
    return RecordPackage.from_json(orjson.dumps(doc)).record


def _shared_copies(store: Store, kind: str) -> Iterator[tuple[StoredRecord, StoredVersion]]:
    for rec, version in store.iter_records(origin="synced", kind=kind):
        if is_shared(rec.kind, rec.status) and version.record is not None:
            yield rec, version


def _updated(rec: StoredRecord, block_times: dict[int, int] | None) -> dt.datetime:
    ts = (block_times or {}).get(rec.block_number or 0)
    if ts is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    return _EPOCH + dt.timedelta(seconds=ts)


def export(
    store: Store, province: Province, out_dir: Path, *, block_times: dict[int, int] | None = None
) -> ExportResult:
    """Write ``entries.<ext>`` and ``evaluations.<ext>`` of the shared copies into ``out_dir``."""
    dialect = DIALECTS[province]
    out_dir.mkdir(parents=True, exist_ok=True)
    entries_path = out_dir / f"entries{dialect.extension}"
    evaluations_path = out_dir / f"evaluations{dialect.extension}"
    entries = (
        SourceEntry(entry, EntryStatus(rec.status), _updated(rec, block_times))
        for rec, version in _shared_copies(store, "list-entry")
        if isinstance(entry := _record(rec, version), ListEntry)
    )
    n_entries = dialect.write_entries(entries, entries_path)
    results = (
        SourceEvaluation(result, False, _updated(rec, block_times))
        for rec, version in _shared_copies(store, "evaluation")
        if isinstance(result := _record(rec, version), EvaluationResult)
    )
    n_results = dialect.write_evaluations(results, evaluations_path)
    return ExportResult(entries_path, evaluations_path, n_entries, n_results)

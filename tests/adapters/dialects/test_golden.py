"""Each dialect's writer output for fixed records is pinned byte for byte."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import orjson
import pytest

from adapters.core.model import CHINA_TZ, EntryStatus, ListEntry, SourceEntry, SourceEvaluation
from adapters.core.package import RecordPackage
from adapters.core.provinces import Province
from adapters.dialects import DIALECTS, Parsed

ASSETS = Path(__file__).parents[2] / "assets"
STATUSES = [
    EntryStatus.PUBLISHED, EntryStatus.DISPUTED, EntryStatus.REPAIRED,
    EntryStatus.AMENDED, EntryStatus.EXPIRED, EntryStatus.REVOKED,
]  # fmt: skip


def _golden_records() -> tuple[list[SourceEntry], list[SourceEvaluation]]:
    vectors = json.loads((ASSETS / "canonical" / "vectors.json").read_text("utf-8"))
    entries: list[SourceEntry] = []
    results: list[SourceEvaluation] = []
    for index, vector in enumerate(vectors["vectors"]):
        package = {
            "kind": vector["kind"], "schema_version": 1, "province": vector["record"]["province"],
            "entry_id": vector["entry_id"], "version": 1, "salt": vectors["salt"],
            "subject_tag": vector["subject_tag"], "tag_key_version": 1, "record": vector["record"],
        }  # fmt: skip
        record = RecordPackage.from_json(orjson.dumps(package)).record
        when = dt.datetime(2026, 3, 1, 9, 30, index, tzinfo=CHINA_TZ)
        if isinstance(record, ListEntry):
            entries.append(SourceEntry(record, STATUSES[len(entries)], when))
        else:
            results.append(SourceEvaluation(record, len(results) == 1, when))
    return entries, results


@pytest.mark.parametrize("province", list(Province), ids=[p.value for p in Province])
def test_writers_reproduce_the_golden_files_and_readers_read_them(province: Province) -> None:
    dialect = DIALECTS[province]
    entries, results = _golden_records()
    for kind, records in (("entries", entries), ("evaluations", results)):
        golden = (ASSETS / "dialects" / f"{province.value}-{kind}{dialect.extension}").read_bytes()
        buffer = io.BytesIO()
        if kind == "entries":
            dialect.write_entries(entries, buffer)
            items = list(dialect.read_entries(io.BytesIO(golden)))
        else:
            dialect.write_evaluations(results, buffer)
            items = list(dialect.read_evaluations(io.BytesIO(golden)))
        assert buffer.getvalue() == golden
        assert all(isinstance(i, Parsed) for i in items)
        assert [i.record for i in items] == records

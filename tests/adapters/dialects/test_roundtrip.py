"""read(write(x)) == x for every dialect and record kind, synced-in provinces included."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.core.provinces import Province
from adapters.dialects import DIALECTS, Parsed
from adapters.samples import sample_path
from tests.adapters.core.strategies import source_entries, source_evaluations

DIALECT_IDS = [p.value for p in DIALECTS]


def _round_trip(province: Province, kind: str, records: list[Any]) -> list[Any]:
    dialect = DIALECTS[province]
    buffer = io.BytesIO()
    if kind == "entries":
        assert dialect.write_entries(records, buffer) == len(records)
    else:
        assert dialect.write_evaluations(records, buffer) == len(records)
    buffer.seek(0)
    items = list(dialect.read_entries(buffer) if kind == "entries" else dialect.read_evaluations(buffer))
    refused = [str(i) for i in items if not isinstance(i, Parsed)]
    assert refused == []
    return [i.record for i in items]


@pytest.mark.parametrize("province", list(DIALECTS), ids=DIALECT_IDS)
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_entries_round_trip(province: Province, data: st.DataObject) -> None:
    records = data.draw(st.lists(source_entries(), max_size=6))
    assert _round_trip(province, "entries", records) == records


@pytest.mark.parametrize("province", list(DIALECTS), ids=DIALECT_IDS)
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_evaluations_round_trip(province: Province, data: st.DataObject) -> None:
    records = data.draw(st.lists(source_evaluations(), max_size=6))
    assert _round_trip(province, "evaluations", records) == records


@pytest.mark.parametrize("province", list(DIALECTS), ids=DIALECT_IDS)
@pytest.mark.parametrize("kind", ["entries", "evaluations"])
def test_samples_round_trip_through_files(province: Province, kind: str, tmp_path: Path) -> None:
    dialect = DIALECTS[province]
    read = dialect.read_entries if kind == "entries" else dialect.read_evaluations
    write = dialect.write_entries if kind == "entries" else dialect.write_evaluations
    records = [i.record for i in read(sample_path(province, kind)) if isinstance(i, Parsed)]
    path = tmp_path / f"copy{dialect.extension}"
    assert write(records, path) == len(records)  # type: ignore[arg-type]
    assert [i.record for i in read(path)] == records
    assert path.read_bytes() == sample_path(province, kind).read_bytes()
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


@pytest.mark.parametrize("province", list(DIALECTS), ids=DIALECT_IDS)
def test_empty_exports_round_trip(province: Province) -> None:
    assert _round_trip(province, "entries", []) == []
    assert _round_trip(province, "evaluations", []) == []


def test_locations_name_lines_or_rows() -> None:
    for province, first in [
        (Province.SH, "line 1"),
        (Province.JS, "line 2"),
        (Province.ZJ, "line 3"),
        (Province.AH, "rows[0]"),
    ]:
        items = list(DIALECTS[province].read_entries(sample_path(province, "entries")))
        assert items[0].location == first
        assert len({i.location for i in items}) == len(items)

"""Reading ahead in a child process: the same chunks as in-process, errors carried across."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest

from adapters.core.errors import DialectError
from adapters.core.provinces import Province
from adapters.dialects.base import Parsed
from adapters.pipeline import reader
from adapters.synthetic import generate


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reader") / "entries.json"
    generate(Province.AH, "entries", 6_000, path, seed=5, invalid_share=0.05)
    assert path.stat().st_size >= reader.IN_PROCESS_BELOW  # goes through the child process
    return path


def _flatten(chunks: list[reader.Chunk]) -> tuple[list[object], list[str]]:
    items: list[object] = []
    ids: list[str] = []
    for chunk, chunk_ids in chunks:
        items.extend(chunk)
        ids.extend(chunk_ids)
    return items, ids


def test_child_process_yields_what_the_dialect_reader_yields(big_export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ahead = list(reader.read_chunks(Province.AH, "entries", big_export, size=1_000))
    monkeypatch.setattr(reader, "IN_PROCESS_BELOW", 1 << 62)
    inline = list(reader.read_chunks(Province.AH, "entries", big_export, size=1_000))

    assert _flatten(ahead) == _flatten(inline)
    items, ids = _flatten(ahead)
    assert len(items) == 6_000
    assert len(ids) == sum(isinstance(i, Parsed) for i in items) < 6_000  # refusals carry no id
    assert all(len(chunk) <= 1_000 for chunk, _ in ahead)


def test_a_truncated_file_is_a_dialect_error_from_the_child(big_export: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.json"
    cut.write_bytes(big_export.read_bytes()[: big_export.stat().st_size - 100])
    with pytest.raises(DialectError) as refused:
        for _ in reader.read_chunks(Province.AH, "entries", cut, size=1_000):
            pass
    assert refused.value.source == str(cut)
    assert "truncated" in refused.value.reason or "end" in refused.value.reason


@pytest.mark.parametrize("kind", ["entries", "evaluations"])
@pytest.mark.parametrize("province", list(Province))
def test_the_wire_form_carries_every_record_unchanged(
    province: Province, kind: reader.Kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export"
    generate(province, kind, 300, path, seed=8, invalid_share=0.1)
    monkeypatch.setattr(reader, "IN_PROCESS_BELOW", 1 << 62)
    items, _ = _flatten(list(reader.read_chunks(province, kind, path, size=100)))
    assert any(isinstance(i, Parsed) for i in items) and not all(isinstance(i, Parsed) for i in items)

    back = reader._unpack(pickle.loads(pickle.dumps(reader._pack(items))))  # type: ignore[arg-type]

    assert back == items
    assert [type(i) for i in back] == [type(i) for i in items]


def test_a_frame_cut_short_reads_as_the_child_stopping() -> None:
    whole = io.BytesIO()
    reader._frame(whole, ("chunk", ([], [])))
    assert reader._read_frame(io.BytesIO(whole.getvalue())) == ("chunk", ([], []))
    assert reader._read_frame(io.BytesIO(whole.getvalue()[:-3])) is None
    assert reader._read_frame(io.BytesIO(whole.getvalue()[:5])) is None

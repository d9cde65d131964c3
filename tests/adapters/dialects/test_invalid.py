"""Every class of invalid record is refused with the right field, in every dialect, and the
reader goes on to the next record."""

from __future__ import annotations

import io
from typing import Any

import pytest

from adapters.core.provinces import Province
from adapters.dialects import DIALECTS, Parsed, Refusal
from adapters.synthetic import INVALID_CLASSES, InvalidClass, Synthesizer, broken_row

CASES = [
    (province, kind, broken)
    for province in Province
    for broken in INVALID_CLASSES
    if broken.carried_by(province)
    for kind in broken.kinds
]


def _record_for(synth: Synthesizer, kind: str, broken: InvalidClass) -> Any:
    make = synth.entry if kind == "entries" else synth.evaluation
    for index in range(500):
        record = make(index)
        if broken.applies(record):
            return record
    raise AssertionError(f"no record for {broken.name}")


@pytest.mark.parametrize(("province", "kind", "broken"), CASES, ids=[f"{p.value}-{k}-{b.name}" for p, k, b in CASES])
def test_invalid_class_is_refused_with_its_field(province: Province, kind: str, broken: InvalidClass) -> None:
    dialect = DIALECTS[province]
    codec = dialect.codec(kind)  # type: ignore[arg-type]
    synth = Synthesizer(province, seed=11)
    bad = broken_row(synth, codec, broken, _record_for(synth, kind, broken))
    good = synth.entry(900) if kind == "entries" else synth.evaluation(900)
    buffer = io.BytesIO()
    dialect.write_rows(kind, [codec.encode(good), bad, codec.encode(good)], buffer)  # type: ignore[arg-type]
    buffer.seek(0)
    items = list(dialect.read_entries(buffer) if kind == "entries" else dialect.read_evaluations(buffer))
    assert [type(i) for i in items] == [Parsed, Refusal, Parsed]
    refusal = items[1]
    assert isinstance(refusal, Refusal)
    assert refusal.field == broken.field, str(refusal)
    assert refusal.location != items[0].location
    assert refusal.reason
    line = str(refusal)
    assert broken.field in line and "\n" not in line


def test_every_field_has_an_invalid_class() -> None:
    fields = {b.field for b in INVALID_CLASSES}
    assert fields >= {
        "local_id", "list_type", "domain", "subject_kind", "subject_name", "subject_id", "reason",
        "legal_basis", "authority_name", "authority_uscc", "decided_on", "valid_from", "valid_until",
        "status", "updated_at", "scheme_id", "grade", "evaluated_on", "revoked",
    }  # fmt: skip


@pytest.mark.parametrize("province", list(Province), ids=[p.value for p in Province])
def test_generated_share_of_invalid_records_is_refused(province: Province) -> None:
    from adapters.synthetic import generate

    for kind in ("entries", "evaluations"):
        buffer = io.BytesIO()
        stats = generate(province, kind, 400, buffer, seed=3, invalid_share=0.25)  # type: ignore[arg-type]
        buffer.seek(0)
        dialect = DIALECTS[province]
        items = list(dialect.read_entries(buffer) if kind == "entries" else dialect.read_evaluations(buffer))
        assert len(items) == stats.written == 400
        assert sum(isinstance(i, Refusal) for i in items) == stats.invalid > 50


@pytest.mark.parametrize("province", list(Province), ids=[p.value for p in Province])
def test_generated_fast_path_equals_the_checked_decoder(province: Province) -> None:
    from adapters.core.errors import RecordInvalid
    from adapters.core.validate import RecordValidator

    dialect = DIALECTS[province]
    synth = Synthesizer(province, seed=4)
    validator = RecordValidator()
    for kind in ("entries", "evaluations"):
        codec = dialect.codec(kind)  # type: ignore[arg-type]
        make = synth.entry if kind == "entries" else synth.evaluation
        for index in range(300):
            record = make(index)
            row = codec.encode(record)
            assert codec.decode(row, validator, province) == codec.decode_checked(row, validator, province) == record
            candidates = [
                b for b in INVALID_CLASSES if kind in b.kinds and b.carried_by(province) and b.applies(record)
            ]
            broken = candidates[index % len(candidates)]
            bad = broken_row(synth, codec, broken, record)
            with pytest.raises(RecordInvalid) as fast:
                codec.decode(bad, validator, province)
            with pytest.raises(RecordInvalid) as checked:
                codec.decode_checked(bad, validator, province)
            assert fast.value.field == checked.value.field == broken.field

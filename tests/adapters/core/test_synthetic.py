"""The synthetic export generator: determinism, validity, deltas along the lifecycle, samples."""

from __future__ import annotations

import collections
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.core.model import RECOGNITION_DOMAINS, EntryStatus, ListType, SourceEntry
from adapters.core.provinces import Province
from adapters.dialects import DIALECTS, Parsed
from adapters.samples import sample_path
from adapters.synthetic import AS_OF, generate, generate_deltas

REPO = Path(__file__).parents[3]

# ICreditLists lifecycle: allowed (from, to) between two exports; unchanged is always allowed
ALLOWED = {
    (EntryStatus.PUBLISHED, EntryStatus.DISPUTED), (EntryStatus.AMENDED, EntryStatus.DISPUTED),
    (EntryStatus.DISPUTED, EntryStatus.PUBLISHED),
    (EntryStatus.PUBLISHED, EntryStatus.AMENDED), (EntryStatus.AMENDED, EntryStatus.AMENDED),
    (EntryStatus.DISPUTED, EntryStatus.AMENDED),
    (EntryStatus.PUBLISHED, EntryStatus.REPAIRED), (EntryStatus.AMENDED, EntryStatus.REPAIRED),
    (EntryStatus.PUBLISHED, EntryStatus.EXPIRED), (EntryStatus.AMENDED, EntryStatus.EXPIRED),
    (EntryStatus.DISPUTED, EntryStatus.EXPIRED),
    *((s, EntryStatus.REVOKED) for s in EntryStatus if s is not EntryStatus.REVOKED),
}  # fmt: skip


def _read(province: Province, kind: str, source: Any) -> list[Any]:
    dialect = DIALECTS[province]
    return list(dialect.read_entries(source) if kind == "entries" else dialect.read_evaluations(source))


@pytest.mark.parametrize("province", list(Province), ids=[p.value for p in Province])
def test_generation_is_deterministic_and_valid(province: Province) -> None:
    outputs = []
    for _ in range(2):
        buffer = io.BytesIO()
        generate(province, "entries", 300, buffer, seed=42)
        outputs.append(buffer.getvalue())
    assert outputs[0] == outputs[1]
    other = io.BytesIO()
    generate(province, "entries", 300, other, seed=43)
    assert other.getvalue() != outputs[0]
    items = _read(province, "entries", io.BytesIO(outputs[0]))
    assert all(isinstance(i, Parsed) for i in items)
    entries = [i.record.entry for i in items]
    assert len({e.local_id for e in entries}) == 300
    assert {e.list_type for e in entries} == set(ListType)
    assert len({e.domain for e in entries}) >= 8
    assert len({e.subject_kind for e in entries}) == 6
    assert {i.record.status for i in items} >= {EntryStatus.PUBLISHED, EntryStatus.EXPIRED}


def test_deltas_follow_the_lifecycle(tmp_path: Path) -> None:
    province = Province.ZJ
    earlier = tmp_path / "earlier.xml"
    later = tmp_path / "later.xml"
    generate(province, "entries", 3000, earlier, seed=1)
    stats = generate_deltas(province, "entries", earlier, later, seed=2, change_share=0.3)
    before = {i.record.entry.local_id: i.record for i in _read(province, "entries", earlier)}
    after = [i.record for i in _read(province, "entries", later)]
    assert all(isinstance(r, SourceEntry) for r in after)
    transitions: collections.Counter[tuple[EntryStatus, EntryStatus]] = collections.Counter()
    new = 0
    for record in after:
        old = before.get(record.entry.local_id)
        if old is None:
            new += 1
            continue
        if record == old:
            continue
        transitions[old.status, record.status] += 1
        assert (old.status, record.status) in ALLOWED
        assert record.updated_at > old.updated_at
        if record.status is EntryStatus.AMENDED:
            assert record.entry != old.entry
        else:
            assert record.entry == old.entry
        if record.status is EntryStatus.EXPIRED:
            assert record.entry.valid_until is not None and record.entry.valid_until < AS_OF + dt.timedelta(days=92)
    assert new == stats.added == 150
    assert sum(transitions.values()) == stats.changed
    kinds = {to for _, to in transitions}
    assert kinds >= {EntryStatus.AMENDED, EntryStatus.DISPUTED, EntryStatus.REPAIRED, EntryStatus.EXPIRED,
                     EntryStatus.REVOKED, EntryStatus.PUBLISHED}  # fmt: skip

    changed_only = tmp_path / "changed.xml"
    stats = generate_deltas(province, "entries", earlier, changed_only, seed=2, change_share=0.3, changed_only=True)
    assert len(_read(province, "entries", changed_only)) == stats.changed + stats.added == stats.written


def test_evaluation_deltas_revoke_and_add(tmp_path: Path) -> None:
    earlier, later = tmp_path / "e.json", tmp_path / "l.json"
    generate(Province.AH, "evaluations", 1000, earlier, seed=1)
    stats = generate_deltas(Province.AH, "evaluations", earlier, later, seed=2, change_share=0.5)
    before = {i.record.result.local_id: i.record for i in _read(Province.AH, "evaluations", earlier)}
    after = [i.record for i in _read(Province.AH, "evaluations", later)]
    changed = [r for r in after if r.result.local_id in before and r != before[r.result.local_id]]
    assert changed and all(r.revoked and not before[r.result.local_id].revoked for r in changed)
    assert len(after) == 1000 + stats.added


@pytest.mark.parametrize("province", list(Province), ids=[p.value for p in Province])
def test_bundled_samples(province: Province) -> None:
    entries = _read(province, "entries", sample_path(province, "entries"))
    results = _read(province, "evaluations", sample_path(province, "evaluations"))
    assert all(isinstance(i, Parsed) for i in entries + results)
    assert len(entries) == 60 and len(results) == 20
    listed = [i.record.entry for i in entries]
    assert {e.list_type for e in listed} == set(ListType)
    assert len({e.domain for e in listed}) >= 5
    assert {e.province for e in listed} == {province}
    assert all(e.valid_until is None or e.valid_until >= dt.date(2029, 1, 1) for e in listed)
    assert sum(i.record.status is EntryStatus.PUBLISHED for i in entries) >= 50
    evaluated = [i.record.result for i in results]
    assert {r.domain for r in evaluated} <= set(RECOGNITION_DOMAINS)
    assert all(r.valid_until is None or r.valid_until >= dt.date(2029, 1, 1) for r in evaluated)


@pytest.mark.parametrize("province", list(Province), ids=[p.value for p in Province])
def test_generated_exports_never_reuse_a_samples_number(province: Province, tmp_path: Path) -> None:
    # an export generated for a store that holds the samples (yrdx up's) is all new records
    for kind in ("entries", "evaluations"):
        path = tmp_path / f"{kind}{DIALECTS[province].extension}"
        for sample in (False, True):  # --sample exports too
            generate(province, kind, 2_000, path, seed=9, sample=sample)  # type: ignore[arg-type]
            generated = {_local_id(i.record) for i in _read(province, kind, path)}
            bundled = {_local_id(i.record) for i in _read(province, kind, sample_path(province, kind))}
            assert len(generated) == 2_000 and len(bundled) == (60 if kind == "entries" else 20)
            assert generated.isdisjoint(bundled)


def _local_id(record: Any) -> str:
    return str(record.entry.local_id if isinstance(record, SourceEntry) else record.result.local_id)


def test_samples_share_subjects_across_provinces() -> None:
    seen: dict[str, set[Province]] = collections.defaultdict(set)
    for province in Province:
        for item in _read(province, "entries", sample_path(province, "entries")):
            seen[item.record.entry.subject_id].add(province)
    assert sum(len(p) > 1 for p in seen.values()) >= 3


def test_cli_writes_a_file_and_deltas(tmp_path: Path) -> None:
    out, later = tmp_path / "js.csv", tmp_path / "js-later.csv"
    script = str(REPO / "scripts" / "generate_exports.py")
    run = [sys.executable, script, "--province", "js", "--kind", "entries", "--count", "200"]
    done = subprocess.run(
        [*run, "--invalid-share", "0.1", "--seed", "3", "-o", str(out)], capture_output=True, check=True
    )
    assert b"200 records" in done.stderr
    items = _read(Province.JS, "entries", out)
    assert len(items) == 200 and 5 < sum(not isinstance(i, Parsed) for i in items) < 40
    subprocess.run([*run, "--deltas-of", str(out), "--changed-only", "-o", str(later)], capture_output=True, check=True)
    assert later.stat().st_size > 0
    bad = subprocess.run([*run, "--invalid-share", "2"], capture_output=True)
    assert bad.returncode == 2 and b"within 0..1" in bad.stderr

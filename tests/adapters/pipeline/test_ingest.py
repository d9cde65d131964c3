"""``yrdx adapter ingest`` end to end on anvil, on both store backends: every dialect, every
invalid class quarantined with its field and location, exit codes 0 / 3 / 2, the summary, a
second run that sends nothing, and a deltas export whose amendments and status transitions
land on the ledger."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from adapters.chain.verify import verify_package
from adapters.core.canonical import canonical_bytes, chain_valid_until, record_id
from adapters.core.model import EntryStatus, SourceEntry
from adapters.core.provinces import Province
from adapters.dialects import DIALECTS, Parsed
from adapters.pipeline.packages import load_packages
from adapters.pipeline.plan import Planner, utc_now
from adapters.samples import sample_path
from adapters.synthetic import INVALID_CLASSES, Synthesizer, broken_row, generate, generate_deltas
from tests.adapters.pipeline.support import (
    ChainRecord,
    Net,
    file_name,
    location_of,
    read_valid,
    record_key,
)
from tests.adapters.shanghai_platform import Platform

pytestmark = pytest.mark.ledger

PROVINCES = list(Province)
IDS = [p.value for p in Province]
SUMMARY_KEYS = {"read", "valid", "quarantined", "published", "already_published"}


def quarantine_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def assert_published_once(chain: dict[str, ChainRecord], ids: set[str], owner: Province) -> None:
    """Exactly ``ids`` of ``owner`` are on the ledger, each published once."""
    own = {rid: rec for rid, rec in chain.items() if rec.owner == owner.code}
    assert set(own) == ids
    assert collections.Counter(rec.published for rec in own.values()) == {1: len(ids)}


def assert_anchored(net: Net, p: Province) -> None:
    """Every own record of ``p``'s store is confirmed on the ledger as stored; nothing is left to send."""
    unanchored = [
        (rec.record_id, rec.version, rec.status, rec.anchored_version, rec.anchored_status)
        for rec, _ in net.store(p).iter_records(origin="own")
        if (rec.anchored_version, rec.anchored_status) != (rec.version, rec.status)
    ]
    assert unanchored == []
    assert set(net.store(p).counts()["outbox"]) == {"done"}
    assert net.store(p).open_batches() == []


# --- every dialect ----------------------------------------------------------------------


def _broken_export(province: Province, kind: str, path: Path) -> dict[str, str]:
    """An export alternating valid records and one record of every invalid class of ``kind``;
    returns the location of each broken record → the field a reader must name."""
    dialect = DIALECTS[province]
    codec = dialect.codec(kind)  # type: ignore[arg-type]
    synth = Synthesizer(province, seed=13)
    make = synth.entry if kind == "entries" else synth.evaluation
    candidates = iter(range(60_000, 70_000))
    rows: list[dict[str, Any]] = []
    expected: dict[str, str] = {}
    for n, broken in enumerate(c for c in INVALID_CLASSES if kind in c.kinds and c.carried_by(province)):
        rows.append(codec.encode(make(50_000 + n)))
        record = next(r for r in (make(i) for i in candidates) if broken.applies(r))
        expected[location_of(province, len(rows))] = broken.field
        rows.append(broken_row(synth, codec, broken, record))
    dialect.write_rows(kind, rows, path)  # type: ignore[arg-type]
    return expected


@pytest.mark.parametrize("province", PROVINCES, ids=IDS)
def test_every_dialect_publishes_the_valid_records_and_quarantines_the_rest(
    net: Net, province: Province, tmp_path: Path
) -> None:
    published: set[str] = set()
    # a generated export with a high share of invalid records of every class
    for kind, count in (("entries", 240), ("evaluations", 80)):
        path = tmp_path / file_name(province, kind)
        stats = generate(province, kind, count, path, seed=5, invalid_share=0.3)  # type: ignore[arg-type]
        valid = read_valid(province, kind, path)
        assert len(valid) == count - stats.invalid and stats.invalid > 10
        quarantine = tmp_path / f"quarantine-{kind}.jsonl"

        code, summary, run = net.ingest_cli(province, path, kind, quarantine=quarantine)
        assert code == 3, run.output
        assert summary is not None and SUMMARY_KEYS <= set(summary)
        assert {k: summary[k] for k in SUMMARY_KEYS} == {
            "read": count,
            "valid": len(valid),
            "quarantined": stats.invalid,
            "published": len(valid),
            "already_published": 0,
        }
        refused = quarantine_lines(quarantine)
        assert len(refused) == stats.invalid
        assert all(r["source"] == str(path) and r["field"] and r["reason"] for r in refused)
        locations = [r["location"] for r in refused]
        assert len(set(locations)) == len(locations)
        assert set(locations) <= {location_of(province, i) for i in range(count)}
        published |= set(valid)

        # the same export again: everything recognised, not one transaction
        head = net.head()
        code, again, run = net.ingest_cli(province, path, kind, quarantine=quarantine)
        assert code == 3, run.output
        assert again == {**summary, "published": 0, "already_published": len(valid)}
        assert net.head() == head
        assert len(quarantine_lines(quarantine)) == stats.invalid

    # one record of every invalid class, each between two valid ones
    for kind in ("entries", "evaluations"):
        path = tmp_path / f"classes-{file_name(province, kind)}"
        expected = _broken_export(province, kind, path)
        quarantine = tmp_path / f"quarantine-classes-{kind}.jsonl"
        code, summary, run = net.ingest_cli(province, path, kind, quarantine=quarantine)
        assert code == 3, run.output
        assert summary is not None
        assert (summary["quarantined"], summary["valid"], summary["published"]) == (len(expected),) * 3
        found = {r["location"]: r["field"] for r in quarantine_lines(quarantine)}
        assert found == expected
        published |= set(read_valid(province, kind, path))

    # exactly the valid records reached the ledger, once each, and the store saw them confirmed
    assert_published_once(net.chain(), published, province)
    assert_anchored(net, province)


def test_a_valid_export_exits_0(net: Net, tmp_path: Path) -> None:
    for kind in ("entries", "evaluations"):
        quarantine = tmp_path / f"quarantine-{kind}.jsonl"
        code, summary, run = net.ingest_cli(Province.JS, sample_path(Province.JS, kind), kind, quarantine=quarantine)
        assert code == 0, run.output
        assert summary is not None and summary["quarantined"] == 0 and summary["published"] == summary["read"] > 0
        assert quarantine.read_text(encoding="utf-8") == ""


def test_shanghai_ingests_from_its_platforms_export_endpoint(
    net: Net, platform: tuple[Platform, str], tmp_path: Path
) -> None:
    state, base = platform
    state.rows = [*state.rows[:5], {**state.rows[5], "list_type": "grey"}, *state.rows[6:]]
    quarantine = tmp_path / "quarantine.jsonl"
    code, summary, run = net.ingest_cli(Province.SH, base, quarantine=quarantine)
    assert code == 3, run.output
    assert summary is not None
    assert {k: summary[k] for k in SUMMARY_KEYS} == {
        "read": len(state.rows),
        "valid": len(state.rows) - 1,
        "quarantined": 1,
        "published": len(state.rows) - 1,
        "already_published": 0,
    }
    [refused] = quarantine_lines(quarantine)
    assert refused["source"] == f"{base}/entries" and refused["field"] == "list_type"
    assert refused["location"] == "page 1 item 5"
    served = tmp_path / "served.jsonl"  # what the endpoint served, as a file
    DIALECTS[Province.SH].write_rows("entries", state.rows, served)
    expected = set(read_valid(Province.SH, "entries", served))
    assert len(expected) == len(state.rows) - 1
    assert_published_once(net.chain(), expected, Province.SH)
    assert_anchored(net, Province.SH)


def test_a_platform_without_an_endpoint_refuses_a_url_with_exit_2(net: Net) -> None:
    head = net.head()
    code, summary, run = net.ingest_cli(Province.ZJ, "http://127.0.0.1:9/export")
    assert code == 2 and summary is None
    assert "http://127.0.0.1:9/export" in run.stderr and "exports files only" in run.stderr, run.stderr
    assert net.head() == head and net.store(Province.ZJ).counts()["records"] == {}


def _published(net: Net, export: Path, count: int, seed: int) -> set[str]:
    """Generate and publish ``count`` Zhejiang entries through the province's store; their ids."""
    generate(Province.ZJ, "entries", count, export, seed=seed)
    valid = set(read_valid(Province.ZJ, "entries", export))
    code, summary, run = net.ingest_cli(Province.ZJ, export)
    assert code == 0 and summary is not None and summary["published"] == len(valid) == count, run.output
    return valid


def _into_second_store(net: Net, export: Path, quarantine: Path) -> Result:
    """``yrdx adapter ingest`` of ``export`` into a second, empty store of Zhejiang: new records
    to it, whatever the ledger holds already."""
    argv = ["adapter", "ingest", "--province", "zj", str(export), "--json", "--quarantine", str(quarantine)]
    return net.invoke([*argv, "--data-dir", str(net.dd.root), "--rpc", net.url, "--store", net.stores.dsn("zj-new")])


def test_records_the_ledger_refuses_are_reported_and_exit_3(net: Net, tmp_path: Path) -> None:
    # the same export again in a second store: its entries are on the ledger already, which
    # refuses each publication
    export = tmp_path / "entries.xml"
    valid = _published(net, export, 6, seed=41)
    head = net.head()

    quarantine = tmp_path / "quarantine.jsonl"
    other = _into_second_store(net, export, quarantine)
    assert other.exit_code == 3, other.output
    again = json.loads(other.stdout.strip().splitlines()[-1])
    refused = quarantine_lines(quarantine)  # the publications, and the status changes that followed them
    assert (again["valid"], again["quarantined"], again["published"], again["failed"]) == (6, 0, 0, len(refused))
    local_ids = {net.store(Province.ZJ).record(rid).local_id for rid in valid}  # type: ignore[union-attr]
    publications = [line["raw"] for line in refused if line["location"].startswith("ledger, publish ")]
    assert sorted(publications) == sorted(local_ids)
    for line in refused:
        assert line["field"] == "ledger" and line["raw"] in local_ids
        assert line["source"] == str(export) and "the ledger refused it" in line["reason"], line
    assert net.head() > head  # each was sent, and refused
    assert_published_once(net.chain(), valid, Province.ZJ)  # nothing twice


def test_refusals_of_operations_written_before_the_run_are_reported_but_not_its_own(net: Net, tmp_path: Path) -> None:
    old = tmp_path / "old.xml"
    _published(net, old, 4, seed=43)
    # the second store holds the same four, planned and written but not sent (a run that
    # stopped): the next ingest there sends them, and the ledger refuses them
    second = net.stores.open("zj-new")
    planner = Planner(keyring=net.dd.keyring(), tag_key_version=1, now=utc_now)
    parsed = [i for i in DIALECTS[Province.ZJ].read_entries(old) if isinstance(i, Parsed)]
    ids = ["0x" + record_id(i.record.entry).hex() for i in parsed]
    second.write(planner.plan_stored(second, "entries", parsed, ids).changes)

    new = tmp_path / "new.xml"
    generate(Province.ZJ, "entries", 5, new, seed=44)
    quarantine = tmp_path / "quarantine.jsonl"
    run = _into_second_store(net, new, quarantine)
    assert run.exit_code == 0, run.output  # this export's records all went through
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert (summary["published"], summary["failed"]) == (5, 0)
    refused = quarantine_lines(quarantine)
    assert sorted(line["raw"] for line in refused if " publish " in line["location"]) == sorted(
        i.record.entry.local_id for i in parsed
    )
    assert all(line["location"].endswith(", written before this run)") for line in refused), refused


def test_refusals_are_reported_when_the_export_cannot_be_read_to_its_end(net: Net, tmp_path: Path) -> None:
    export = tmp_path / "entries.xml"
    _published(net, export, 300, seed=45)
    data = export.read_bytes()
    cut = -1
    for _ in range(280):  # into the 280th record: the first chunk (250) is read whole
        cut = data.index(b"<jl>", cut + 1)
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(data[: cut + 30])
    quarantine = tmp_path / "quarantine.jsonl"
    run = _into_second_store(net, truncated, quarantine)
    assert run.exit_code == 2 and "truncated" in run.stderr, run.output
    refused = quarantine_lines(quarantine)
    publications = [line for line in refused if " publish " in line["location"]]
    assert len(publications) >= 250  # the first chunk was accepted, sent and refused
    assert all(line["field"] == "ledger" and "written before" not in line["location"] for line in refused)


# --- files that cannot be read ----------------------------------------------------------


def _unreadable(province: Province) -> dict[str, bytes]:
    data = sample_path(province, "entries").read_bytes()
    if province is Province.JS:
        wrong_encoding = data.decode("gb18030").encode("utf-8")
    else:
        wrong_encoding = data.decode("utf-8").encode("gb18030")
    other = PROVINCES[(PROVINCES.index(province) + 1) % len(PROVINCES)]
    return {
        "wrong-encoding": wrong_encoding,
        "truncated": data[: len(data) * 2 // 3],
        f"{other.value}-dialect": sample_path(other, "entries").read_bytes(),
    }


def test_a_file_that_cannot_be_read_exits_2_and_publishes_nothing(net: Net, tmp_path: Path) -> None:
    head = net.head()
    for province in PROVINCES:
        cases = {**_unreadable(province), "missing": None}
        for name, data in cases.items():
            path = tmp_path / f"{province.value}-{name}{DIALECTS[province].extension}"
            if data is not None:
                path.write_bytes(data)
            code, summary, run = net.ingest_cli(province, path, quarantine=tmp_path / f"quarantine-{name}.jsonl")
            assert code == 2, (province, name, run.output)
            assert summary is None
            assert run.stderr.startswith("error:") and str(path) in run.stderr, run.stderr
            reason = {"truncated": "truncated", "missing": "cannot open"}.get(name)
            assert reason is None or reason in run.stderr, run.stderr
        assert net.store(province).counts()["records"] == {}
    assert net.head() == head


# --- deltas -----------------------------------------------------------------------------


def _expected_status(before: SourceEntry | None, after: SourceEntry) -> set[int]:
    if after.status in (EntryStatus.PUBLISHED, EntryStatus.AMENDED):
        if before is not None and canonical_bytes(before.entry) != canonical_bytes(after.entry):
            return {int(EntryStatus.AMENDED)}
        return {int(EntryStatus.PUBLISHED), int(EntryStatus.AMENDED)}
    return {int(after.status)}


def test_a_deltas_export_lands_as_amendments_and_transitions(net: Net, tmp_path: Path) -> None:
    province = Province.ZJ
    earlier = {k: tmp_path / f"earlier-{file_name(province, k)}" for k in ("entries", "evaluations")}
    later = {k: tmp_path / f"later-{file_name(province, k)}" for k in ("entries", "evaluations")}
    for kind in ("entries", "evaluations"):
        generate(province, kind, 300, earlier[kind], seed=21)  # type: ignore[arg-type]
        code, summary, run = net.ingest_cli(province, earlier[kind], kind)
        assert code == 0, run.output
        generate_deltas(province, kind, earlier[kind], later[kind], seed=22, change_share=0.35)  # type: ignore[arg-type]

    before = read_valid(province, "entries", earlier["entries"])
    after = read_valid(province, "entries", later["entries"])
    amended = {rid for rid, src in after.items() if rid in before and src.entry != before[rid].entry}
    moved = {rid for rid, src in after.items() if rid in before and src.status != before[rid].status}
    new = set(after) - set(before)
    assert len(amended) > 5 and len(moved) > 20 and new

    code, summary, run = net.ingest_cli(province, later["entries"], quarantine=tmp_path / "q.jsonl")
    assert code == 0, run.output + (tmp_path / "q.jsonl").read_text(encoding="utf-8")
    assert summary is not None
    assert (summary["read"], summary["quarantined"], summary["published"]) == (len(after), 0, len(new))
    assert summary["amended"] == len(amended)
    assert summary["already_published"] == len(after) - len(new) - len(amended | moved)

    chain = net.chain()
    stored = net.store(province).records(list(after))
    for rid, src in after.items():
        rec = chain[rid]
        assert rec.published == 1
        assert rec.version == (2 if rid in amended else 1), src.entry.local_id
        assert rec.amended == (1 if rid in amended else 0)
        assert rec.status in _expected_status(before.get(rid), src), (src.entry.local_id, src.status, rec)
        assert (stored[rid].version, stored[rid].status) == (rec.version, rec.status)
    for rid in amended | moved:  # the contract's own state agrees with its events
        state = net.view.entry(bytes.fromhex(rid[2:]))
        assert state is not None and (state.version, state.status) == (chain[rid].version, chain[rid].status)
    kinds = {EntryStatus(s) for rid in moved for s in chain[rid].status_changes}
    assert kinds == set(EntryStatus) - {EntryStatus.AMENDED}  # AMENDED is reached by amendments only

    results_before = read_valid(province, "evaluations", earlier["evaluations"])
    results_after = read_valid(province, "evaluations", later["evaluations"])
    revoked = {rid for rid, r in results_after.items() if r.revoked and not results_before.get(rid, r).revoked}
    code, summary, run = net.ingest_cli(province, later["evaluations"], "evaluations")
    assert code == 0, run.output
    assert summary is not None and summary["status_changes"] == len(revoked)
    chain = net.chain()
    for rid, src in results_after.items():
        assert chain[rid].status == (2 if src.revoked else 1)
        assert chain[rid].status_changes == ([2] if src.revoked else [])
    assert_anchored(net, province)


def test_successive_changes_of_one_entry_in_one_export_reach_the_ledger_in_order(net: Net, tmp_path: Path) -> None:
    province = Province.SH
    code, _, run = net.ingest_cli(province, sample_path(province, "entries"))
    assert code == 0, run.output
    entries = list(read_valid(province, "entries", sample_path(province, "entries")).values())
    assert all(e.status is EntryStatus.PUBLISHED for e in entries[:20])

    def step(src: SourceEntry, status: EntryStatus, *, amend: bool = False) -> SourceEntry:
        entry = dataclasses.replace(src.entry, reason=src.entry.reason + "（已更正）") if amend else src.entry
        return SourceEntry(entry, status, src.updated_at + dt.timedelta(days=1))

    rows: list[SourceEntry] = []
    for src in entries[:10]:  # objection opened, then upheld: corrected
        disputed = step(src, EntryStatus.DISPUTED)
        rows += [disputed, step(disputed, EntryStatus.AMENDED, amend=True)]
    for src in entries[10:20]:  # corrected, then objected to again
        amended = step(src, EntryStatus.AMENDED, amend=True)
        rows += [amended, step(amended, EntryStatus.DISPUTED)]
    path = tmp_path / "deltas.jsonl"
    DIALECTS[province].write_entries(rows, path)

    code, summary, run = net.ingest_cli(province, path)
    assert code == 0, run.output
    assert summary is not None and (summary["amended"], summary["status_changes"]) == (20, 20)
    chain = net.chain()
    stored = net.store(province).records([record_key(e) for e in entries[:20]])
    expected = [(2, int(EntryStatus.AMENDED))] * 10 + [(2, int(EntryStatus.DISPUTED))] * 10
    assert [(chain[record_key(e)].version, chain[record_key(e)].status) for e in entries[:20]] == expected
    assert [(stored[record_key(e)].version, stored[record_key(e)].status) for e in entries[:20]] == expected
    assert_anchored(net, province)


def test_each_version_goes_to_the_ledger_with_its_own_validity(net: Net, tmp_path: Path) -> None:
    """An entry published and amended in one run (its first version not yet sent when the
    second was stored): the publication carries the first version's validity, the amendment the
    second's, so a package of either version is authentic."""
    province, P = Province.SH, EntryStatus.PUBLISHED
    synth = Synthesizer(province, seed=3, sample=True)
    drawn = synth.entry(1)
    first = SourceEntry(dataclasses.replace(drawn.entry, valid_until=dt.date(2030, 1, 1)), P, drawn.updated_at)
    longer = dataclasses.replace(first.entry, valid_until=dt.date(2031, 6, 1))
    second = SourceEntry(longer, EntryStatus.AMENDED, drawn.updated_at + dt.timedelta(days=1))
    path = tmp_path / "entries.jsonl"
    DIALECTS[province].write_entries([first, second], path)

    code, summary, run = net.ingest_cli(province, path)
    assert code == 0, run.output
    assert summary is not None and (summary["published"], summary["amended"]) == (1, 1)
    rid = record_key(first)
    published, amended = net.view.history(bytes.fromhex(rid[2:]))
    assert (published.name, amended.name) == ("EntryPublished", "EntryAmended")
    assert published.args["validUntil"] == chain_valid_until(dt.date(2030, 1, 1))
    assert amended.args["validUntil"] == chain_valid_until(dt.date(2031, 6, 1))
    for key, pkg in load_packages(net.store(province), [(rid, 1), (rid, 2)]).items():
        verdict = verify_package(pkg, net.view, keyring=net.keyring)
        assert verdict.authentic, (key, verdict.reasons)

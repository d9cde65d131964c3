"""Convergence: the four provinces ingest their exports and then their deltas while all of them
sync at the same time; after sync has gone quiet, every store holds exactly the ledger's
(entry, version, status) set of the other provinces' records, repaired, revoked and expired
records have no content left in any peer store, and each province's export for its platform
holds exactly the shared ones. Both store backends, on anvil."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from adapters.chain.verify import verify_package
from adapters.core.model import EntryStatus
from adapters.core.provinces import PROVINCES, Province
from adapters.dialects import DIALECTS, Parsed
from adapters.pipeline.ingest import Kind
from adapters.pipeline.packages import load_packages
from adapters.pipeline.sync import Syncer, SyncStats, synced_set
from adapters.synthetic import generate, generate_deltas
from tests.adapters.pipeline.support import RESULT_REVOKED, ChainRecord, Net, file_name, record_key

pytestmark = [pytest.mark.ledger, pytest.mark.slow]

COUNTS: dict[Kind, int] = {"entries": 150, "evaluations": 40}
ROUNDS = 8  # sync rounds allowed to go quiet


def _exports(tmp_path: Path) -> dict[Province, list[tuple[Kind, Path]]]:
    """Per province, in order: entries, evaluations, then the later (deltas) export of each."""
    steps: dict[Province, list[tuple[Kind, Path]]] = {}
    for p in PROVINCES:
        earlier, later = [], []
        for kind, count in COUNTS.items():
            first = tmp_path / p.value / f"1-{file_name(p, kind)}"
            second = tmp_path / p.value / f"2-{file_name(p, kind)}"
            first.parent.mkdir(parents=True, exist_ok=True)
            generate(p, kind, count, first, seed=41, invalid_share=0.05)
            generate_deltas(p, kind, first, second, seed=42, change_share=0.4)
            earlier.append((kind, first))
            later.append((kind, second))
        steps[p] = earlier + later
    return steps


def _quiet(stats: SyncStats) -> bool:
    return stats.stored == stats.waiting == stats.withdrawn == stats.refused == stats.recognitions == 0


def test_four_provinces_publishing_and_syncing_at_once_converge_on_the_ledger(net: Net, tmp_path: Path) -> None:
    steps = _exports(tmp_path)
    for p in PROVINCES:  # every part made before the threads start: one client and publisher per key
        net.publisher(p)
    syncers: dict[Province, Syncer] = {p: net.syncer(p) for p in PROVINCES}
    withdrawn = dict.fromkeys(PROVINCES, 0)
    start = threading.Barrier(len(PROVINCES))

    def province(p: Province) -> None:
        start.wait()
        for kind, path in steps[p]:
            net.ingest(p, path, kind)
            withdrawn[p] += syncers[p].run_once().withdrawn
            net.publisher(p).pump()  # the recognitions sync asked for
            net.publisher(p).drain()

    with ThreadPoolExecutor(len(PROVINCES), thread_name_prefix="province") as pool:
        for future in [pool.submit(province, p) for p in PROVINCES]:
            future.result()

    for _ in range(ROUNDS):  # sync until a whole round changes nothing
        head = net.head()
        rounds = {}
        for p in PROVINCES:
            rounds[p] = syncers[p].run_once()
            net.publisher(p).drain()
            withdrawn[p] += rounds[p].withdrawn
        if net.head() == head and all(_quiet(s) for s in rounds.values()):
            break
    else:
        pytest.fail(f"sync did not go quiet in {ROUNDS} rounds: {rounds}")

    chain = net.chain()
    assert {rec.owner for rec in chain.values()} == {p.code for p in PROVINCES}
    # the lifecycle was exercised: records stopped being shared after peers had their content
    statuses = {(rec.kind, rec.status) for rec in chain.values()}
    for status in (EntryStatus.REPAIRED, EntryStatus.REVOKED, EntryStatus.EXPIRED, EntryStatus.AMENDED):
        assert ("list-entry", int(status)) in statuses
    assert ("evaluation", RESULT_REVOKED) in statuses
    assert sum(withdrawn.values()) > 0

    for p in PROVINCES:
        others = {rid: rec for rid, rec in chain.items() if rec.owner != p.code}
        store = net.store(p)
        assert synced_set(store) == {(rid, rec.version, rec.status) for rid, rec in others.items()}
        _assert_content_only_while_shared(net, p, others)
        _assert_export_holds_the_shared(net, p, others, tmp_path / "exports" / p.value)


def _assert_content_only_while_shared(net: Net, p: Province, others: dict[str, ChainRecord]) -> None:
    store = net.store(p)
    keys = [(rid, v) for rid, rec in others.items() for v in range(1, rec.version + 1)]
    held = store.versions(keys)
    assert set(held) == set(keys)  # every version the ledger has, with its commitment
    # content (record or salt) of any version only while the record is shared, and then of
    # its current version (earlier versions of an amended entry may stay)
    with_content = {rid for (rid, _), version in held.items() if version.record is not None or version.salt is not None}
    shared_now = {(rid, rec.version) for rid, rec in others.items() if rec.shared}
    assert with_content == {rid for rid, _ in shared_now}
    assert all(held[key].record is not None and held[key].salt is not None for key in shared_now)
    # a sample of the copies verified against the ledger like a credit agency would
    sample = sorted(shared_now)[:: max(1, len(shared_now) // 6)]
    for key, pkg in load_packages(store, sample).items():
        verdict = verify_package(pkg, net.view, keyring=net.keyring)
        assert verdict.authentic, (key, verdict.reasons)
        assert verdict.ledger_version == key[1]


def _assert_export_holds_the_shared(net: Net, p: Province, others: dict[str, ChainRecord], out: Path) -> None:
    run = net.cli("adapter", "export", str(out), "--province", p.value, store_of=p, ledger=False)
    assert run.exit_code == 0, run.output
    dialect = DIALECTS[p]
    entries = list(dialect.read_entries(out / file_name(p, "entries")))
    results = list(dialect.read_evaluations(out / file_name(p, "evaluations")))
    assert all(isinstance(i, Parsed) for i in entries + results), [str(i) for i in entries + results]
    exported = {record_key(i.record): i.record for i in entries}
    shared_entries = {rid for rid, rec in others.items() if rec.kind == "list-entry" and rec.shared}
    assert set(exported) == shared_entries
    assert all(int(src.status) == others[rid].status for rid, src in exported.items())
    shared_results = {rid for rid, rec in others.items() if rec.kind == "evaluation" and rec.shared}
    assert {record_key(i.record) for i in results} == shared_results
    assert all(not i.record.revoked for i in results)

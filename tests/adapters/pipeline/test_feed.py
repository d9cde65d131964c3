"""The hand-over from a producer to its publishing thread.

A store write hands over exactly the operations the outbox then holds (what
``Store.pending_ops`` would read back), with the ids the outbox gave them. The publisher takes
operations from the feed only while the feed holds everything pending: operations left by an
earlier run, or dropped when the feed was full, go out from the outbox; every operation
reaches the ledger once."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters.core.canonical import record_id
from adapters.core.model import EntryStatus, SourceEntry
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.dialects.base import Parsed
from adapters.pipeline import publisher as publisher_module
from adapters.pipeline.plan import Plan, Planner
from adapters.pipeline.publisher import Feed, Publisher
from adapters.store import Store
from adapters.store.rows import OutboxOp
from adapters.synthetic import Synthesizer
from tests.adapters.conftest import StoreFactory
from tests.adapters.pipeline.support import Net
from tests.adapters.pipeline.test_ingest import assert_anchored, assert_published_once
from tests.adapters.pipeline.test_plan import FUTURE, NOW, later, make_entry, make_result

P, D, A, REP = EntryStatus.PUBLISHED, EntryStatus.DISPUTED, EntryStatus.AMENDED, EntryStatus.REPAIRED
ZJ = Province.ZJ


def _parsed(records: list[Any]) -> list[Parsed[Any]]:
    return [Parsed(r, f"record {i + 1}") for i, r in enumerate(records)]


def _plan(store: Store, planner: Planner, records: list[Any]) -> Plan:
    """Plan ``records`` (all entries or all results) against what ``store`` holds."""
    kind = "entries" if isinstance(records[0], SourceEntry) else "evaluations"
    return planner.plan_stored(store, kind, _parsed(records), [_rid(r) for r in records])


def _rid(record: Any) -> str:
    return "0x" + record_id(record.entry if isinstance(record, SourceEntry) else record.result).hex()


def _entries(synth: Synthesizer, start: int, count: int) -> list[SourceEntry]:
    return [make_entry(synth, n) for n in range(start, start + count)]


# --- what a write hands over -------------------------------------------------------------


def test_a_write_hands_over_what_the_outbox_holds(stores: StoreFactory) -> None:
    store = stores.open("zj")
    planner = Planner(keyring=TagKeyring.development(), tag_key_version=1, now=lambda: NOW)
    synth = Synthesizer(ZJ, seed=7, sample=True)
    # new entries, some published straight into another status; new results, one revoked
    first = [make_entry(synth, 1), make_entry(synth, 2, status=D), make_entry(synth, 3), make_entry(synth, 4)]
    results = [make_result(synth, 1), make_result(synth, 2, revoked=True)]
    handed: list[OutboxOp] = []
    for plan in (_plan(store, planner, first), _plan(store, planner, results)):
        ids = store.write(plan.changes)
        handed += plan.outbox_ops(ids)
    assert [o.op for o in handed] == ["publish"] * 4 + ["status", "results", "results", "revoke"]
    assert handed == store.pending_ops(1_000)

    # a stored version without its validity columns (rows older than migration 0002): the
    # operation carries the version's canonical record instead, as the outbox read does
    with store.engine.begin() as conn:
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        conn.exec_driver_sql(f"UPDATE versions SET valid_from = NULL WHERE record_id = {mark}", (_rid(first[3]),))
    # amendments, status changes of stored entries, an amendment with a status change, a revocation
    deltas = [
        later(first[0], status=A, amend=True),
        later(first[1], status=P),
        later(first[2], status=D, amend=True),
        later(first[3], status=REP),
    ]
    plan = _plan(store, planner, deltas)
    ids = store.write(plan.changes)
    assert min(ids) > max(o.id for o in handed)
    ops = plan.outbox_ops(ids)
    assert [(o.op, o.version, o.target_status) for o in ops] == [
        ("amend", 2, None),
        ("amend", 2, None),
        ("status", 1, int(P)),
        ("status", 2, int(D)),
        ("status", 1, int(REP)),
    ]
    assert [o.valid_from is None and o.content is not None for o in ops] == [False] * 4 + [True]
    assert ops == [o for o in store.pending_ops(1_000) if o.id in set(ids)]
    revoke = _plan(store, planner, [dataclasses.replace(results[0], revoked=True)])
    assert revoke.outbox_ops(store.write(revoke.changes)) == store.pending_ops(1_000)[-1:]


def test_a_write_without_operations_hands_over_none(stores: StoreFactory) -> None:
    store = stores.open("zj")
    planner = Planner(keyring=TagKeyring.development(), tag_key_version=1, now=lambda: NOW)
    synth = Synthesizer(ZJ, seed=7, sample=True)
    records = [make_entry(synth, 1, valid_until=FUTURE)]
    store.write(_plan(store, planner, records).changes)
    again = _plan(store, planner, records)  # the same entry again: nothing to do
    assert again.outbox_ops(store.write(again.changes)) == []


# --- the feed ------------------------------------------------------------------------


def _op(op_id: int) -> OutboxOp:
    return OutboxOp(op_id, "status", None, 1, 2, "0x00")  # type: ignore[arg-type]


def test_the_feed_drops_what_was_taken_already_and_empties_when_full() -> None:
    feed = Feed(limit=5)
    feed.committed([_op(1), _op(2), _op(3)])
    assert feed.wake.is_set()
    assert [o.id for o in feed.take(10, after=1)] == [2, 3]  # 1 came from the outbox already
    feed.committed([_op(4), _op(5)])
    assert [o.id for o in feed.take(1, after=3)] == [4]
    feed.committed([_op(6), _op(7), _op(8), _op(9)])  # five held: full
    assert feed.overflows == 0
    feed.committed([_op(10)])  # one too many: the feed empties, the publisher reads the outbox
    assert feed.overflows == 1
    assert feed.take(10, after=4) == []


# --- the publisher with the feed, on the ledger -------------------------------------------


@pytest.fixture
def outbox_reads(net: Net) -> Iterator[list[int]]:
    """The number of operations each outbox read of the ZJ store returned."""
    store = net.store(ZJ)
    reads: list[int] = []
    read: Callable[[int], list[OutboxOp]] = store.pending_ops

    def counted(limit: int) -> list[OutboxOp]:
        ops = read(limit)
        reads.append(len(ops))
        return ops

    store.pending_ops = counted  # type: ignore[method-assign]
    yield reads


def _wait_for(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not predicate():
        assert time.monotonic() < deadline, "the publisher did not get there within 20 s"
        time.sleep(0.02)


@pytest.mark.ledger
def test_the_publisher_reads_the_outbox_for_what_an_earlier_run_left_then_takes_the_feed(
    net: Net, outbox_reads: list[int]
) -> None:
    store = net.store(ZJ)
    planner = net.planner()
    synth = Synthesizer(ZJ, seed=21)
    earlier = _entries(synth, 1, 50)  # written by a run that died before publishing them
    store.write(_plan(store, planner, earlier).changes)
    publisher = Publisher(store=store, client=net.client(ZJ), deployment=net.deployment, batch_size=10)
    fed: list[SourceEntry] = []
    with publisher.background() as feed:
        _wait_for(lambda: store.counts()["outbox"].get("pending", 0) == 0)
        assert outbox_reads[:2] == [40, 10]  # read 40 at a time, until one read finds the rest
        assert sum(outbox_reads) == 50
        reads_before = len(outbox_reads)
        for start in range(100, 220, 40):
            chunk = _entries(synth, start, 40)
            plan = _plan(store, planner, chunk)
            feed.committed(plan.outbox_ops(store.write(plan.changes)))
            fed += chunk
        _wait_for(lambda: store.counts()["outbox"].get("pending", 0) == 0)
        assert len(outbox_reads) == reads_before  # everything since came through the feed
    assert publisher.stats.ops["publish"] == 170
    assert_published_once(net.chain(), {_rid(s) for s in earlier + fed}, ZJ)
    assert_anchored(net, ZJ)


@pytest.mark.ledger
def test_when_the_feed_overflows_the_outbox_is_read_and_nothing_is_lost(
    net: Net, outbox_reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publisher_module, "FEED_LIMIT", 1)
    store = net.store(ZJ)
    planner = net.planner()
    synth = Synthesizer(ZJ, seed=22)
    publisher = Publisher(store=store, client=net.client(ZJ), deployment=net.deployment, batch_size=2)
    fed: list[SourceEntry] = []
    with publisher.background() as feed:  # holds at most 16 operations
        for start in range(1, 121, 30):
            chunk = _entries(synth, start, 30)
            plan = _plan(store, planner, chunk)
            feed.committed(plan.outbox_ops(store.write(plan.changes)))
            fed += chunk
        assert feed.overflows == 4
    assert sum(outbox_reads) >= 120  # every dropped operation was read from the outbox
    assert_published_once(net.chain(), {_rid(s) for s in fed}, ZJ)
    assert_anchored(net, ZJ)

"""A package whose commitment does not match the ledger is refused and reported, never stored;
the owner's other entries still sync. Both store backends, on anvil."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import update

from adapters.core.provinces import Province
from adapters.samples import sample_path
from adapters.store import Store
from adapters.store.schema import versions
from tests.adapters.pipeline.support import Net, read_valid

pytestmark = pytest.mark.ledger

OWNER, PEER = Province.ZJ, Province.SH


def _set_version(store: Store, rid: str, **values: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(versions).where(versions.c.record_id == rid, versions.c.version == 1).values(**values))


def _edit_record(store: Store, rid: str, edit: Callable[[dict[str, Any]], None]) -> None:
    v = store.version(rid, 1)
    assert v is not None and v.record is not None
    doc = orjson.loads(v.record)
    edit(doc)
    _set_version(store, rid, record=orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode())


def test_a_tampered_package_is_refused_reported_and_not_stored(net: Net) -> None:
    net.ingest(OWNER, sample_path(OWNER, "entries"))
    ids = sorted(read_valid(OWNER, "entries", sample_path(OWNER, "entries")))
    owner = net.store(OWNER)
    reworded, resalted, renumbered = ids[:3]
    _edit_record(owner, reworded, lambda d: d.update(reason=d["reason"] + "。"))
    _set_version(owner, resalted, salt="0x" + secrets.token_hex(16))
    _edit_record(owner, renumbered, lambda d: d.update(local_id=d["local_id"][:-1] + "9"))
    tampered = {reworded: "commitment", resalted: "commitment", renumbered: "entry_id"}

    stats = net.syncer(PEER).run_once()
    assert stats.refused == 3
    assert stats.stored == len(ids) - 3
    peer = net.store(PEER)
    refusals = peer.refusals()
    assert len(refusals) == 3  # each reported once
    assert {r["record_id"] for r in refusals} == set(tampered)
    for r in refusals:
        assert (r["owner"], r["version"]) == (OWNER.value, 1)
        assert tampered[r["record_id"]] in r["reason"], r["reason"]
        assert r["block_number"] > 0
    held = peer.versions([(rid, 1) for rid in ids])
    assert {rid for rid in ids if held[(rid, 1)].record is None} == set(tampered)
    assert all(held[(rid, 1)].salt is None for rid in tampered)
    # the ledger facts are kept: the peer knows the entries exist, just not their content
    assert set(peer.records(ids)) == set(ids)

    # a refused version is not asked for again by later runs (the refusals do not pile up)
    later = net.syncer(PEER).run_once()
    assert (later.refused, later.stored) == (0, 0)
    assert len(peer.refusals()) == 3
    # once an operator clears the refusals, they are asked again: still refused, still not stored
    assert peer.clear_refusals() == 3
    again = net.syncer(PEER).run_once()
    assert (again.refused, again.stored) == (3, 0)
    assert len(peer.refusals()) == 3
    assert all(v.record is None for v in peer.versions([(rid, 1) for rid in tampered]).values())


def test_a_package_that_cannot_be_read_does_not_hold_back_the_others(net: Net) -> None:
    """A version the owner's store cannot even turn into a package is not served (the peer
    waits for it and asks again); every other package of that owner still syncs."""
    net.ingest(OWNER, sample_path(OWNER, "entries"))
    ids = sorted(read_valid(OWNER, "entries", sample_path(OWNER, "entries")))
    owner = net.store(OWNER)
    broken, retyped = ids[:2]
    _set_version(owner, broken, record='{"local_id": "ZJ')
    _edit_record(owner, retyped, lambda d: d.update(domain="市场监管"))

    stats = net.syncer(PEER).run_once()
    peer = net.store(PEER)
    held = peer.versions([(rid, 1) for rid in ids])
    assert {rid for rid in ids if held[(rid, 1)].record is None} == {broken, retyped}
    assert (stats.stored, stats.waiting, stats.refused) == (len(ids) - 2, 2, 0)
    assert {rec.record_id for rec in peer.missing_content()} == {broken, retyped}

"""A peer's packages unavailable for a while: the syncer reports them as waiting and stores
everything the other peers serve; once the peer is back, one run fetches every package it
missed, however many (the retry pages through all of them, not only the first page)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from adapters.chain.view import LedgerView
from adapters.core.package import RecordPackage
from adapters.core.provinces import PROVINCES, Province
from adapters.pipeline.packages import Key, StorePackageSource
from adapters.pipeline.sync import Syncer, synced_set
from adapters.samples import sample_path
from adapters.synthetic import generate
from tests.adapters.pipeline.support import Net

pytestmark = [pytest.mark.faults, pytest.mark.ledger, pytest.mark.slow]

AWAY, PRESENT, PEER = Province.ZJ, Province.JS, Province.SH
ENTRIES = 1_500  # more than one page of missing copies (1,000)


class Switchable:
    """Packages from the owners' stores, except from the owners in ``away``."""

    def __init__(self, inner: StorePackageSource) -> None:
        self.inner = inner
        self.away: set[Province] = set()

    def packages(self, owner: Province, keys: Sequence[Key]) -> dict[Key, RecordPackage]:
        if owner in self.away:
            raise ConnectionError(f"the gateway of {owner.value} is down")
        return self.inner.packages(owner, keys)


def test_a_peer_away_during_sync_is_waited_for_and_filled_in_by_the_next_run(net: Net, tmp_path: Path) -> None:
    export = tmp_path / "zj-entries.xml"
    generate(AWAY, "entries", ENTRIES, export, seed=61)
    net.ingest(AWAY, export)
    net.ingest(PRESENT, sample_path(PRESENT, "entries"))
    source = Switchable(StorePackageSource({p: net.store(p) for p in PROVINCES}))
    view = LedgerView(client=net.client(PEER), deployment=net.deployment)
    syncer = Syncer(province=PEER, store=net.store(PEER), view=view, source=source, keyring=net.keyring)
    chain = net.chain()
    shared = {p: sum(1 for rec in chain.values() if rec.owner == p.code and rec.shared) for p in (AWAY, PRESENT)}
    assert shared[AWAY] > 1_000

    source.away = {AWAY}
    first = syncer.run_once()
    assert (first.stored, first.waiting, first.refused) == (shared[PRESENT], shared[AWAY], 0)
    assert len(net.store(PEER).missing_content(limit=10_000)) == shared[AWAY]

    source.away = set()
    second = syncer.run_once()
    assert (second.stored, second.waiting, second.refused) == (shared[AWAY], 0, 0)
    assert net.store(PEER).missing_content() == []
    assert synced_set(net.store(PEER)) == {(rid, rec.version, rec.status) for rid, rec in chain.items()}

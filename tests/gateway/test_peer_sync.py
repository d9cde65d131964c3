"""Peer sync over HTTP between four gateways on loopback: each province's syncer takes the other
provinces' record packages from their owners' gateways (``HttpPackageSource``), and every store
ends up holding exactly the other provinces' records, with their content."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.chain.view import LedgerView
from adapters.core.provinces import PROVINCES
from adapters.pipeline.sync import Syncer, synced_set
from gateway.peers import HttpPackageSource
from gateway.server import GatewayFleet
from node.engines import free_port
from tests.running import owned_elsewhere, sample_exchange
from yrdx.commands.gateway import package_source, start_gateways
from yrdx.context import DataDir
from yrdx.runtime import Exchange

pytestmark = [pytest.mark.ledger, pytest.mark.rpc, pytest.mark.slow]


@pytest.fixture(scope="module")
def unsynced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Exchange, str]]:
    """A fresh exchange whose provinces ingested their samples but have synced nothing."""
    with sample_exchange(tmp_path_factory.mktemp("peer-sync"), syncers=False) as running:
        yield running


def test_four_gateways_serve_each_others_syncers(unsynced: tuple[Exchange, str], tmp_path: Path) -> None:
    exchange, url = unsynced
    dd: DataDir = exchange.data_dir
    assert exchange.deployment is not None
    fleet: GatewayFleet = start_gateways(
        dd,
        rpc_url=url,
        clients={p: part.client for p, part in exchange.provinces.items()},
        stores={p: part.store for p, part in exchange.provinces.items()},
        ports={p: free_port() for p in PROVINCES},
    )
    sources: list[HttpPackageSource] = []
    try:
        assert set(fleet.urls) == set(PROVINCES)
        syncers = {}
        for p, part in exchange.provinces.items():
            assert synced_set(part.store) == set()
            source = package_source(dd, p, fleet.urls)
            sources.append(source)
            view = LedgerView(client=part.client, deployment=exchange.deployment)
            syncers[p] = Syncer(province=p, store=part.store, view=view, source=source, keyring=dd.keyring())
        for _ in range(2):  # the second round follows the recognitions the first one published
            for p, syncer in syncers.items():
                stats = syncer.run_once()
                assert stats.refused == 0
                exchange.provinces[p].publisher.drain()
        for p, part in exchange.provinces.items():
            expected = owned_elsewhere(exchange, p)
            assert len(expected) == 240
            assert synced_set(part.store) == expected, p
            assert part.store.missing_content() == [], p
        served = sum(g.deps.trail.size for g in fleet.gateways)
        assert served >= 12  # token and package requests of three peers at each of the four gateways
    finally:
        for source in sources:
            source.close()
        fleet.stop()

"""The province's key used by another process while batches are in flight: a gateway's anchorer
(``yrdx gateway serve``) signs checkpoints with the key the ingest publishes with, so the nonce
of a journaled batch can go to a checkpoint. That batch is sent again with a new nonce — after
the batches signed behind it, which may change the entries it publishes. Those changes are not
wrong, only early: they must go out again after the publication, not fail for good."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.core.model import EntryStatus
from adapters.core.provinces import Province
from adapters.core.synthetic import generate
from adapters.dialects import DIALECTS, Parsed
from node.client import LedgerClient
from node.engines import Anvil
from tests.adapters.conftest import StoreFactory
from tests.adapters.pipeline.support import Net
from tests.support import FAST_RETRY
from yrdx.context import DataDir, init_development

pytestmark = [pytest.mark.faults, pytest.mark.ledger, pytest.mark.rpc, pytest.mark.slow]

PROVINCE = Province.JS


@pytest.fixture
def own_anvil_net(stores: StoreFactory, tmp_path: Path) -> Iterator[Net]:
    """An exchange on an anvil of the test's own: its mining is switched off and on."""
    anvil = Anvil()
    anvil.start()
    try:
        data_dir = DataDir(tmp_path / "data")
        deployment, _ = init_development(data_dir, rpc_url=anvil.url)
        with Net(data_dir, anvil.url, deployment, stores) as net:
            yield net
    finally:
        anvil.stop()


def test_changes_sent_ahead_of_a_replaced_publication_go_out_again_after_it(own_anvil_net: Net, tmp_path: Path) -> None:
    net = own_anvil_net
    export = tmp_path / f"entries{DIALECTS[PROVINCE].extension}"
    generate(PROVINCE, "entries", 200, export, seed=3)
    parsed = [i for i in DIALECTS[PROVINCE].read_entries(export) if isinstance(i, Parsed)]
    store, publisher = net.store(PROVINCE), net.publisher(PROVINCE)
    plan = net.planner().plan_entries(parsed, {}, {})
    # the export holds entries published and then disputed, repaired...: a status change each
    assert sum(op["op"] == "status" for op in plan.changes.ops) > 0
    store.write(plan.changes)

    node = net.client(PROVINCE)
    node.raw_request("evm_setAutomine", [False])
    publisher.pump()  # the publication, then the status changes, signed with consecutive nonces
    [publication, changes] = store.open_batches()
    assert (publication.op, changes.op, changes.nonce) == ("publish", "status", publication.nonce + 1)

    # another process signing for the province takes the publication's nonce
    node.raw_request("anvil_dropTransaction", [publication.tx_hash])
    other = LedgerClient(rpc_url=net.url, account=node.account, retry=FAST_RETRY)
    checkpoint = other.sign(to=node.account.address, data=b"", gas=21_000, nonce=publication.nonce)  # type: ignore[union-attr]
    other.submit(checkpoint)
    node.raw_request("evm_setAutomine", [True])
    node.raw_request("evm_mine", [])

    publisher.drain()

    assert store.failed_ops() == []
    assert set(store.counts()["outbox"]) == {"done"}
    chain = net.chain()
    own = {rec.record_id: rec for rec, _ in store.iter_records(origin="own")}
    assert set(chain) == set(own)
    for rid, rec in own.items():
        assert (chain[rid].version, chain[rid].status) == (rec.version, rec.status), rid
        moved = rec.status not in (EntryStatus.PUBLISHED, EntryStatus.AMENDED)
        assert chain[rid].status_changes == ([rec.status] if moved else []), rid

"""The province's key used by another process while batches are in flight: a gateway's anchorer
(``yrdx gateway serve``) signs checkpoints with the key the ingest publishes with, so the nonce
of a journaled batch can go to a checkpoint. That batch is sent again with a new nonce — after
the batches signed behind it, which may change the entries it publishes. Those changes are not
wrong, only early: they must go out again after the publication, not fail for good, whichever
entry the decoded revert names."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3.exceptions import Web3RPCError

from adapters.core.model import EntryStatus
from adapters.core.provinces import Province
from adapters.dialects import DIALECTS, Parsed
from adapters.pipeline.publisher import Publisher
from adapters.synthetic import generate
from node.client import LedgerClient, Receipt, SignedTx
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


class PromptClient(LedgerClient):
    """A ledger client that sends a transaction again after 0.2 s without a receipt, not 10:
    the test's node lost it for good, and waiting longer shows nothing more."""

    def wait(self, tx: SignedTx | str, *, timeout: float = 120.0, resend_every: float = 10.0) -> Receipt:
        return super().wait(tx, timeout=timeout, resend_every=0.2)


@pytest.mark.parametrize("replaced", [0, 1], ids=["first-publication", "second-publication"])
def test_changes_sent_ahead_of_a_replaced_publication_go_out_again_after_it(
    own_anvil_net: Net, tmp_path: Path, replaced: int
) -> None:
    """Two publications of 100 entries, then the status changes of entries of both, in flight
    at once; the ``replaced`` one loses its nonce. The changes are mined in the same block as the
    other publication and revert; when the second publication is the replaced one, the replay
    that decodes the revert (at the block before) names an entry of the first, which was fine."""
    net = own_anvil_net
    export = tmp_path / f"entries{DIALECTS[PROVINCE].extension}"
    generate(PROVINCE, "entries", 200, export, seed=3)
    parsed = [i for i in DIALECTS[PROVINCE].read_entries(export) if isinstance(i, Parsed)]
    store = net.store(PROVINCE)
    node = net.client(PROVINCE)
    client = PromptClient(rpc_url=net.url, account=node.account, retry=FAST_RETRY)
    publisher = Publisher(store=store, client=client, deployment=net.deployment, batch_size=100)
    plan = net.planner().plan_entries(parsed, {}, {})
    store.write(plan.changes)

    node.raw_request("evm_setAutomine", [False])
    publisher.pump()  # signed with consecutive nonces, all in the node's pool
    batches = store.open_batches()
    assert [b.op for b in batches] == ["publish", "publish", "status"]
    first_change = next(o for o in store.batch_ops(batches[2].id))
    assert first_change[2] in {o[2] for o in store.batch_ops(batches[0].id)}  # an entry of the first

    # another process signing for the province takes the nonce of one publication
    lost = batches[replaced]
    node.raw_request("anvil_dropTransaction", [lost.tx_hash])
    other = LedgerClient(rpc_url=net.url, account=node.account, retry=FAST_RETRY)
    other.submit(other.sign(to=lost.sender, data=b"", gas=21_000, nonce=lost.nonce))
    for batch in batches:  # the node dropped those behind the lost one with it: back in its pool
        if batch is not lost:
            with contextlib.suppress(Web3RPCError):  # still there
                node.raw_request("eth_sendRawTransaction", ["0x" + batch.raw_tx.hex()])
    assert int(node.raw_request("txpool_status", [])["pending"], 16) == 3
    node.raw_request("evm_mine", [])  # one block: the other publication, the checkpoint, the changes
    node.raw_request("evm_setAutomine", [True])

    publisher.drain()

    assert store.failed_ops() == []
    assert set(store.counts()["outbox"]) == {"done"}
    chain = net.chain()
    own = {rec.record_id: rec for rec, _ in store.iter_records(origin="own")}
    assert set(chain) == set(own)
    for rid, rec in own.items():
        assert (chain[rid].version, chain[rid].status) == (rec.version, rec.status), rid
        assert (rec.anchored_version, rec.anchored_status) == (rec.version, rec.status), rid
        moved = rec.status not in (EntryStatus.PUBLISHED, EntryStatus.AMENDED)
        assert chain[rid].status_changes == ([rec.status] if moved else []), rid

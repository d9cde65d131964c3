"""The pending pool: nonce order per sender, arrival order across senders, gaps, replacement."""

from __future__ import annotations

from typing import Any

import pytest
from eth.abc import SignedTransactionAPI

from node.dev_accounts import dev_accounts
from node.embedded.chain import VM
from node.embedded.txpool import TxPool
from node.errors import JsonRpcError

ACCOUNTS = dev_accounts(3)


def tx(sender: int, nonce: int, *, gas: int = 21_000, fee: int = 10**10, tip: int = 10**9) -> SignedTransactionAPI:
    fields: dict[str, Any] = {
        "to": ACCOUNTS[2].address, "value": 1, "gas": gas, "maxFeePerGas": fee, "maxPriorityFeePerGas": tip,
        "nonce": nonce, "chainId": 1337, "type": 2,
    }  # fmt: skip
    signed: SignedTransactionAPI = VM.get_transaction_builder().decode(
        bytes(ACCOUNTS[sender].sign_transaction(fields).raw_transaction)
    )
    return signed


def committed(nonce: int) -> Any:
    return lambda: nonce


def test_ready_transactions_come_in_nonce_order_then_arrival_order() -> None:
    pool = TxPool()
    a1, b0, a0, b1 = tx(0, 1), tx(1, 0), tx(0, 0), tx(1, 1)
    assert pool.add(a1, committed_nonce=committed(0)) is False  # waits for nonce 0
    assert pool.add(b0, committed_nonce=committed(0)) is True
    assert pool.add(a0, committed_nonce=committed(0)) is True
    assert pool.add(b1, committed_nonce=committed(0)) is True
    assert [t.hash for t in pool.candidates(10**9)] == [b0.hash, a0.hash, a1.hash, b1.hash]


def test_a_gap_holds_back_later_nonces_and_the_pending_nonce() -> None:
    pool = TxPool()
    pool.add(tx(0, 5), committed_nonce=committed(3))
    assert pool.candidates(10**9) == []
    assert not pool.has_ready()
    assert pool.pending_nonce(tx(0, 5).sender, committed_nonce=committed(0)) == 3
    pool.add(tx(0, 3), committed_nonce=committed(0))
    assert pool.pending_nonce(tx(0, 3).sender, committed_nonce=committed(0)) == 4
    assert [t.nonce for t in pool.candidates(10**9)] == [3]
    pool.add(tx(0, 4), committed_nonce=committed(0))
    assert [t.nonce for t in pool.candidates(10**9)] == [3, 4, 5]


def test_used_nonces_are_refused() -> None:
    pool = TxPool()
    with pytest.raises(JsonRpcError, match="nonce too low: next nonce 2, tx nonce 1") as raised:
        pool.add(tx(0, 1), committed_nonce=committed(2))
    assert raised.value.code == -32000


def test_replacement_needs_a_ten_percent_bump() -> None:
    pool = TxPool()
    first = tx(0, 0, fee=10**10, tip=10**9)
    pool.add(first, committed_nonce=committed(0))
    assert pool.add(first, committed_nonce=committed(0)) is True  # the same one again: accepted
    with pytest.raises(JsonRpcError, match="underpriced"):
        pool.add(tx(0, 0, fee=10**10 + 1, tip=10**9 + 1), committed_nonce=committed(0))
    bumped = tx(0, 0, fee=11 * 10**9, tip=11 * 10**8)
    pool.add(bumped, committed_nonce=committed(0))
    assert [t.hash for t in pool.candidates(10**9)] == [bumped.hash]
    assert pool.get(first.hash) is None
    assert len(pool) == 1


def test_a_committed_block_prunes_mined_and_dropped_transactions() -> None:
    pool = TxPool()
    txs = [tx(0, n) for n in range(4)]
    for t in txs:
        pool.add(t, committed_nonce=committed(0))
    other = tx(1, 0)
    pool.add(other, committed_nonce=committed(0))
    pool.block_committed(txs[:2], [other])
    assert [t.nonce for t in pool.candidates(10**9)] == [2, 3]
    assert pool.get(other.hash) is None
    assert pool.pending_nonce(txs[0].sender, committed_nonce=committed(0)) == 4
    pool.block_committed(txs[2:], [])
    assert len(pool) == 0 and not pool.has_ready()


def test_candidates_stop_at_the_gas_budget_and_the_pool_has_a_capacity() -> None:
    pool = TxPool(capacity=3)
    for n in range(3):
        pool.add(tx(0, n, gas=100_000), committed_nonce=committed(0))
    assert len(pool.candidates(150_000)) == 2
    with pytest.raises(JsonRpcError, match="txpool is full"):
        pool.add(tx(1, 0), committed_nonce=committed(0))

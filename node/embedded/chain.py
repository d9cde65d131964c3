"""The py-evm side of the embedded ledger: a Cancun chain, its genesis, and building blocks.

The chain follows eth-tester's py-evm backend (``eth_tester/backends/pyevm/main.py``): post-merge
headers (difficulty 0, no proof of work), a constant gas limit, EIP-1559 base fee from 1 gwei at
genesis, and the Cancun header fields left as py-evm creates them. Unlike eth-tester, blocks are
assembled here transaction by transaction, so that one transaction that has become invalid
(spent balance, stale nonce) is dropped instead of failing everything the block would carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from eth.abc import (
    AtomicDatabaseAPI,
    BlockAPI,
    BlockHeaderAPI,
    ChainAPI,
    ReceiptAPI,
    SignedTransactionAPI,
)
from eth.chains.base import Chain
from eth.constants import (
    BLANK_ROOT_HASH,
    POST_MERGE_DIFFICULTY,
    POST_MERGE_MIX_HASH,
    POST_MERGE_NONCE,
    ZERO_ADDRESS,
)
from eth.vm.forks.cancun import CancunVM
from eth.vm.forks.cancun.state import CancunState
from eth_typing import Address, BlockNumber
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError

from node.embedded import ordered_trie


class _CancunState(CancunState):
    def set_system_contracts(self) -> None:
        """Skip py-evm's EIP-4788 check, a no-op that costs an account read per state built.

        ``CancunState`` sets the beacon roots contract's code only where that account already
        holds exactly that code, so the state never changes; the read is all it does.
        """


class _CancunVM(CancunVM):
    _state_class = _CancunState


VM = _CancunVM
GENESIS_BALANCE = 10_000 * 10**18  # wei per dev account, as anvil funds them


def chain_class(chain_id: int) -> type[Chain]:
    """A py-evm chain class for ``chain_id``, on the Cancun rules from genesis."""
    return cast(
        type[Chain],
        type("YrdxEmbeddedChain", (Chain,), {"chain_id": chain_id, "vm_configuration": ((0, VM),)}),
    )


def create_genesis(
    db: AtomicDatabaseAPI,
    *,
    chain_id: int,
    funded: Sequence[bytes],
    gas_limit: int,
    timestamp: int,
) -> BlockAPI:
    """Write the genesis state and header into ``db``; return the genesis block.

    Every address in ``funded`` starts with :data:`GENESIS_BALANCE`.
    """
    params: dict[str, Any] = {
        "coinbase": ZERO_ADDRESS,
        "difficulty": POST_MERGE_DIFFICULTY,
        "extra_data": b"",
        "gas_limit": gas_limit,
        "mix_hash": POST_MERGE_MIX_HASH,
        "nonce": POST_MERGE_NONCE,
        "receipt_root": BLANK_ROOT_HASH,
        "timestamp": timestamp,
        "transaction_root": BLANK_ROOT_HASH,
    }
    state: dict[Address, Any] = {
        Address(address): {"balance": GENESIS_BALANCE, "nonce": 0, "code": b"", "storage": {}} for address in funded
    }
    chain = chain_class(chain_id).from_genesis(db, params, state)
    return chain.get_canonical_block_by_number(BlockNumber(0))


def base_fee(header: BlockHeaderAPI) -> int:
    """The header's EIP-1559 base fee (every header of this chain has one)."""
    fee = header.base_fee_per_gas
    if fee is None:
        raise ValueError(f"block {header.block_number} has no base fee")
    return int(fee)


def next_header(parent: BlockHeaderAPI, *, timestamp: int) -> BlockHeaderAPI:
    """The header of the block after ``parent``: same gas limit, base fee by EIP-1559.

    ``prevrandao`` (the mix hash) is derived from the parent hash, so a block's content depends
    only on its parent, its transactions and its timestamp.
    """
    header: BlockHeaderAPI = VM.create_header_from_parent(
        parent,
        timestamp=timestamp,
        gas_limit=parent.gas_limit,
        coinbase=ZERO_ADDRESS,
        mix_hash=keccak(b"yrdx-prevrandao" + parent.hash),
    )
    return header


@dataclass
class BuiltBlock:
    """A block built on top of the head, its receipts, and what it had to leave out."""

    block: BlockAPI
    receipts: tuple[ReceiptAPI, ...]
    dropped: list[tuple[SignedTransactionAPI, str]] = field(default_factory=list)


class BlockBuilder:
    """Builds blocks into a write-buffering key-value store (the miner's only tool)."""

    def __init__(self, *, db: AtomicDatabaseAPI, chain_id: int) -> None:
        self._chain: ChainAPI = chain_class(chain_id)(db)

    def build(
        self,
        parent: BlockHeaderAPI,
        candidates: Iterable[SignedTransactionAPI],
        *,
        timestamp: int,
    ) -> BuiltBlock:
        """Execute ``candidates`` in order on top of ``parent`` and seal the block.

        Candidates must come in nonce order per sender. A transaction that does not fit the
        gas left, pays less than the base fee or has a future nonce waits (with its sender's
        later ones) for a later block; one that can no longer be valid (nonce used, balance
        too low) is dropped and reported.
        """
        header = next_header(parent, timestamp=timestamp)
        vm = self._chain.get_vm(header)
        state = vm.state
        fee_floor = base_fee(header)
        included: list[SignedTransactionAPI] = []
        receipts: list[ReceiptAPI] = []
        dropped: list[tuple[SignedTransactionAPI, str]] = []
        waiting: set[bytes] = set()
        current = header
        for tx in candidates:
            sender = tx.sender
            if sender in waiting:
                continue
            if tx.gas > current.gas_limit - current.gas_used or tx.max_fee_per_gas < fee_floor:
                waiting.add(sender)
                continue
            expected = state.get_nonce(sender)
            if tx.nonce != expected:
                if tx.nonce < expected:
                    dropped.append((tx, f"nonce too low: next nonce {expected}, tx nonce {tx.nonce}"))
                waiting.add(sender)
                continue
            try:
                receipt, _ = vm.apply_transaction(current, tx)
            except ValidationError as exc:
                dropped.append((tx, str(exc)))
                waiting.add(sender)
                continue
            current = vm.add_receipt_to_header(current, receipt)
            included.append(tx)
            receipts.append(receipt)
        # py-evm's set_block_transactions_and_withdrawals builds these tries item by item and
        # mine_block validates the block it was just given: both cost more than executing.
        # The transaction trie is kept, so py-evm's database still holds every block body; the
        # receipt trie is not: receipts (and their logs, the bulk of it) live in the store's
        # own tables and can always be recomputed by executing the block again.
        tx_root, tx_nodes = ordered_trie.root_and_nodes([tx.encode() for tx in included])
        receipt_root, _ = ordered_trie.root_and_nodes([r.encode() for r in receipts])
        self._chain.chaindb.persist_trie_data_dict(tx_nodes)
        filled = vm.get_block().copy(
            header=current.copy(transaction_root=tx_root, receipt_root=receipt_root),
            transactions=included,
        )
        sealed = vm.finalize_block(filled).block
        self._chain.chaindb.persist_block(sealed)
        return BuiltBlock(sealed, tuple(receipts), dropped)

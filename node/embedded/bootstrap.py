"""Opening a data dir: write genesis into a new one, or check an existing one's head."""

from __future__ import annotations

import time
from collections.abc import Sequence

import rlp
from eth.abc import BlockHeaderAPI
from eth.constants import BLANK_ROOT_HASH
from eth.db.schema import SchemaV1

from node.embedded import render
from node.embedded.chain import create_genesis
from node.embedded.records import BlockRecord
from node.embedded.store import LedgerStore
from node.embedded.view import header_of
from node.errors import LedgerStoreError


def open_chain(
    store: LedgerStore,
    *,
    chain_id: int,
    funded: Sequence[bytes],
    block_gas_limit: int,
    settings: dict[str, str],
) -> tuple[BlockHeaderAPI, dict[str, str]]:
    """The head header and stored settings; a new data dir gets its genesis block first.

    An existing data dir is checked, not replayed: its settings must match ``chain_id`` and
    ``block_gas_limit``, and its head block, canonical head and state root must be present.
    """
    if store.is_new:
        genesis = create_genesis(
            store.kv,
            chain_id=chain_id,
            funded=funded,
            gas_limit=block_gas_limit,
            timestamp=int(time.time()),
        )
        block_json, txs, logs = render.mined_block(genesis, ())
        header = genesis.header
        meta = {
            "chain_id": str(chain_id),
            "block_gas_limit": str(block_gas_limit),
            "funded_accounts": str(len(funded)),
            "genesis_hash": header.hash.hex(),
            **settings,
        }
        record = BlockRecord(0, header.hash, rlp.encode(header), block_json, txs, logs)
        store.create(genesis=record, meta=meta)
        return header, meta

    with store.reader() as reader:
        meta = reader.meta()
        head_row = reader.head()
        genesis_row = reader.block_by_number(0)
        kv = reader.kv
        if head_row is None or genesis_row is None:
            raise LedgerStoreError(f"{store.path} is corrupt: it holds no genesis block")
        head = header_of(head_row)
        try:
            canonical: bytes | None = kv[SchemaV1.make_canonical_head_hash_lookup_key()]
        except KeyError:
            canonical = None
        state_present = head.state_root == BLANK_ROOT_HASH or kv.exists(head.state_root)
    _expect(store, meta, "chain_id", str(chain_id), "--chain-id")
    _expect(store, meta, "block_gas_limit", str(block_gas_limit), "--block-gas-limit")
    if meta.get("genesis_hash") != genesis_row.hash.hex():
        raise LedgerStoreError(f"{store.path} is corrupt: its genesis block is not the one recorded")
    if canonical != head.hash or head.hash != head_row.hash:
        raise LedgerStoreError(
            f"{store.path} is corrupt: the chain head (block {head_row.number}) does not match py-evm's canonical head"
        )
    if not state_present:
        raise LedgerStoreError(f"{store.path} is corrupt: the state of block {head_row.number} is missing")
    return head, meta


def _expect(store: LedgerStore, meta: dict[str, str], key: str, wanted: str, option: str) -> None:
    stored = meta.get(key)
    if stored != wanted:
        raise LedgerStoreError(
            f"{store.path} holds a ledger with {key} {stored}, not {wanted}: pass {option} {stored} "
            "or use another data dir"
        )

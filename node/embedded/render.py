"""Blocks, transactions, receipts and logs as the JSON objects of the Ethereum JSON-RPC API.

Field names and encodings follow the execution-apis specification (and geth / anvil): quantities
as minimal ``0x`` hex, data as ``0x`` hex, ``null`` for the block fields of a pending
transaction. Mined objects are rendered once, when their block is sealed, and stored as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import orjson
import rlp
from eth._utils.address import generate_contract_address
from eth.abc import BlockAPI, BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI

from node.embedded.chain import base_fee as block_base_fee
from node.embedded.records import LogRow, TxRow


def quantity(value: int) -> str:
    return hex(value)


def data(value: bytes) -> str:
    return "0x" + value.hex()


def tx_type(tx: SignedTransactionAPI) -> int:
    return int(getattr(tx, "type_id", None) or 0)


def effective_gas_price(tx: SignedTransactionAPI, base_fee: int) -> int:
    """EIP-1559: what each unit of gas cost the sender in a block with ``base_fee``."""
    if tx_type(tx) >= 2:
        return int(min(tx.max_fee_per_gas, tx.max_priority_fee_per_gas + base_fee))
    return int(tx.gas_price)


def transaction(
    tx: SignedTransactionAPI,
    *,
    block_hash: bytes | None,
    block_number: int | None,
    index: int | None,
    base_fee: int | None,
) -> dict[str, Any]:
    """The ``eth_getTransactionByHash`` object; the block fields are ``None`` while pending."""
    kind = tx_type(tx)
    obj: dict[str, Any] = {
        "blockHash": None if block_hash is None else data(block_hash),
        "blockNumber": None if block_number is None else quantity(block_number),
        "from": data(tx.sender),
        "gas": quantity(tx.gas),
    }
    if kind >= 2:
        price = tx.max_fee_per_gas if base_fee is None else effective_gas_price(tx, base_fee)
        obj["gasPrice"] = quantity(price)
        obj["maxFeePerGas"] = quantity(tx.max_fee_per_gas)
        obj["maxPriorityFeePerGas"] = quantity(tx.max_priority_fee_per_gas)
    else:
        obj["gasPrice"] = quantity(tx.gas_price)
    obj.update(
        {
            "hash": data(tx.hash),
            "input": data(tx.data),
            "nonce": quantity(tx.nonce),
            "to": data(tx.to) if tx.to else None,
            "transactionIndex": None if index is None else quantity(index),
            "value": quantity(tx.value),
            "type": quantity(kind),
        }
    )
    if kind >= 1:
        obj["accessList"] = [
            {"address": data(address), "storageKeys": [data(k.to_bytes(32, "big")) for k in keys]}
            for address, keys in tx.access_list
        ]
        obj["chainId"] = quantity(_present(tx.chain_id))
        obj["v"] = quantity(tx.y_parity)
        obj["yParity"] = quantity(tx.y_parity)
    else:
        if tx.chain_id is not None:
            obj["chainId"] = quantity(tx.chain_id)
        obj["v"] = quantity(getattr(tx, "v"))  # noqa: B009 - only legacy transactions have v
    obj["r"] = quantity(tx.r)
    obj["s"] = quantity(tx.s)
    return obj


def mined_block(block: BlockAPI, receipts: Sequence[ReceiptAPI]) -> tuple[bytes, list[TxRow], list[LogRow]]:
    """The stored JSON of a sealed block (without ``transactions``), its txs and its logs."""
    header = block.header
    base_fee = block_base_fee(header)
    txs: list[TxRow] = []
    logs: list[LogRow] = []
    block_hash = data(header.hash)
    number = quantity(header.block_number)
    previous_cumulative = 0
    log_index = 0
    for index, (tx, receipt) in enumerate(zip(block.transactions, receipts, strict=True)):
        tx_hash = data(tx.hash)
        position = quantity(index)
        first_log = log_index
        for log in receipt.logs:
            topics = tuple(topic.to_bytes(32, "big") for topic in log.topics)
            log_json = orjson.dumps(
                {
                    "address": data(log.address),
                    "topics": [data(t) for t in topics],
                    "data": data(log.data),
                    "blockNumber": number,
                    "transactionHash": tx_hash,
                    "transactionIndex": position,
                    "blockHash": block_hash,
                    "logIndex": quantity(log_index),
                    "removed": False,
                }
            )
            logs.append(LogRow(index, log_index, log.address, topics, log.data, log_json))
            log_index += 1
        creates = generate_contract_address(tx.sender, tx.nonce) if not tx.to else None
        receipt_obj = {
            "type": quantity(tx_type(tx)),
            "status": quantity(1 if receipt.state_root == b"\x01" else 0),
            "cumulativeGasUsed": quantity(receipt.gas_used),
            "logsBloom": data(receipt.bloom.to_bytes(256, "big")),
            "transactionHash": tx_hash,
            "transactionIndex": position,
            "blockHash": block_hash,
            "blockNumber": number,
            "gasUsed": quantity(receipt.gas_used - previous_cumulative),
            "effectiveGasPrice": quantity(effective_gas_price(tx, base_fee)),
            "from": data(tx.sender),
            "to": data(tx.to) if tx.to else None,
            "contractAddress": data(creates) if creates else None,
        }
        previous_cumulative = receipt.gas_used
        tx_obj = transaction(
            tx,
            block_hash=header.hash,
            block_number=header.block_number,
            index=index,
            base_fee=base_fee,
        )
        # the receipt is stored without "logs": they are spliced in from the log index when read
        receipt_json = orjson.dumps(receipt_obj)
        txs.append(TxRow(tx.hash, index, orjson.dumps(tx_obj), receipt_json, first_log, log_index - first_log))
    return orjson.dumps(block_header(header, size=len(rlp.encode(block)))), txs, logs


def block_header(header: BlockHeaderAPI, *, size: int) -> dict[str, Any]:
    """The block object's fields other than ``transactions``, in geth's order."""
    return {
        "hash": data(header.hash),
        "parentHash": data(header.parent_hash),
        "sha3Uncles": data(header.uncles_hash),
        "miner": data(header.coinbase),
        "stateRoot": data(header.state_root),
        "transactionsRoot": data(header.transaction_root),
        "receiptsRoot": data(header.receipt_root),
        "logsBloom": data(header.bloom.to_bytes(256, "big")),
        "difficulty": quantity(header.difficulty),
        "number": quantity(header.block_number),
        "gasLimit": quantity(header.gas_limit),
        "gasUsed": quantity(header.gas_used),
        "timestamp": quantity(header.timestamp),
        "extraData": data(header.extra_data),
        "mixHash": data(header.mix_hash),
        "nonce": data(header.nonce),
        "baseFeePerGas": quantity(block_base_fee(header)),
        "withdrawalsRoot": data(_present(header.withdrawals_root)),
        "blobGasUsed": quantity(_present(header.blob_gas_used)),
        "excessBlobGas": quantity(_present(header.excess_blob_gas)),
        "parentBeaconBlockRoot": data(_present(header.parent_beacon_block_root)),
        "totalDifficulty": quantity(0),
        "size": quantity(size),
        "uncles": [],
        "withdrawals": [],
    }


_T = TypeVar("_T")


def _present(value: _T | None) -> _T:
    """A field every Cancun header and typed transaction has (optional in py-evm's API)."""
    if value is None:
        raise ValueError("a Cancun header or typed transaction field is missing")
    return value

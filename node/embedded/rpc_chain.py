"""JSON-RPC methods over stored chain data: blocks, transactions, receipts, logs, fees."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas

from node.embedded import params as p
from node.embedded import render
from node.embedded.chain import base_fee
from node.embedded.records import BlockRow
from node.embedded.rpc import JsonPieces
from node.embedded.txpool import TxPool
from node.embedded.view import ChainView, Snapshot
from node.errors import JsonRpcError

LIMIT_EXCEEDED = -32005
MAX_FEE_HISTORY_BLOCKS = 1024

Method = Callable[[list[Any]], Any]


class ChainMethods:
    """``eth_getBlockBy*``, ``eth_getTransaction*``, ``eth_getLogs``, ``eth_feeHistory``, ..."""

    def __init__(self, *, view: ChainView, pool: TxPool, max_logs: int) -> None:
        self._view = view
        self._pool = pool
        self._max_logs = max_logs

    def methods(self) -> dict[str, Method]:
        return {
            "eth_blockNumber": self.block_number,
            "eth_getBlockByNumber": self.get_block_by_number,
            "eth_getBlockByHash": self.get_block_by_hash,
            "eth_getTransactionByHash": self.get_transaction_by_hash,
            "eth_getTransactionReceipt": self.get_transaction_receipt,
            "eth_getLogs": self.get_logs,
            "eth_feeHistory": self.fee_history,
        }

    def block_number(self, params: list[Any]) -> str:
        with self._view.read() as snap:
            return render.quantity(snap.head.number)

    def get_block_by_number(self, params: list[Any]) -> Any:
        ref = p.block_ref(p.arg(params, 0, "block"))
        full = p.boolean(p.arg(params, 1, "full transactions", False), "full transactions")
        with self._view.read() as snap:
            return _block(snap, snap.block_row(ref), full)

    def get_block_by_hash(self, params: list[Any]) -> Any:
        block_hash = p.hash32(p.arg(params, 0, "block hash"), "block hash")
        full = p.boolean(p.arg(params, 1, "full transactions", False), "full transactions")
        with self._view.read() as snap:
            return _block(snap, snap.reader.block_by_hash(block_hash), full)

    def get_transaction_by_hash(self, params: list[Any]) -> Any:
        tx_hash = p.hash32(p.arg(params, 0, "transaction hash"), "transaction hash")
        pending = self._pool.get(tx_hash)
        if pending is not None:
            return render.transaction(pending.tx, block_hash=None, block_number=None, index=None, base_fee=None)
        with self._view.read() as snap:
            record = snap.reader.tx(tx_hash)
        return None if record is None else orjson.Fragment(record.json)

    def get_transaction_receipt(self, params: list[Any]) -> Any:
        tx_hash = p.hash32(p.arg(params, 0, "transaction hash"), "transaction hash")
        with self._view.read() as snap:
            record = snap.reader.tx(tx_hash)
        return None if record is None else orjson.Fragment(record.receipt)

    def get_logs(self, params: list[Any]) -> Any:
        """``eth_getLogs`` from the log index; refuses answers above ``max_logs`` (-32005)."""
        query = p.arg(params, 0, "filter")
        if not isinstance(query, dict):
            raise p.invalid("the filter must be an object")
        addresses = _addresses(query.get("address"))
        topics = _topics(query.get("topics"))
        with self._view.read() as snap:
            if query.get("blockHash") is not None:
                if query.get("fromBlock") is not None or query.get("toBlock") is not None:
                    raise p.invalid("blockHash cannot be combined with fromBlock/toBlock")
                row = snap.reader.block_by_hash(p.hash32(query["blockHash"], "blockHash"))
                if row is None:
                    raise JsonRpcError(-32000, "unknown block")
                first = last = row.number
            else:
                first = snap.block_number(p.block_ref(query.get("fromBlock") or "latest"))
                last = snap.block_number(p.block_ref(query.get("toBlock") or "latest"))
                if first > last:
                    raise p.invalid(f"fromBlock {first} is after toBlock {last}")
                last = min(last, snap.head.number)
            if first > last:
                return []
            answer = snap.reader.logs(first, last, addresses=addresses, topics=topics, limit=self._max_logs)
        if not answer.complete:
            raise JsonRpcError(
                LIMIT_EXCEEDED,
                f"query returns more than {self._max_logs} results; narrow the block range "
                "or filter by address or topics",
            )
        body = [b"["]
        for i, piece in enumerate(answer.pieces):
            body += [b",", piece] if i else [piece]
        body.append(b"]")
        return JsonPieces(body)

    def fee_history(self, params: list[Any]) -> dict[str, Any]:
        """``eth_feeHistory`` (EIP-1559): base fees, gas used ratios, tip percentiles."""
        count = min(p.quantity(p.arg(params, 0, "block count"), "block count"), MAX_FEE_HISTORY_BLOCKS)
        ref = p.block_ref(p.arg(params, 1, "newest block"))
        percentiles = _percentiles(p.arg(params, 2, "reward percentiles", []))
        with self._view.read() as snap:
            newest = snap.block_row(ref)
            if newest is None:
                raise JsonRpcError(-32000, "unknown block")
            first = max(0, newest.number - count + 1)
            rows = _rows(snap, first, newest.number) if count else []
            headers = [snap.header(row) for row in rows]
            rewards = [_rewards(snap, row, percentiles) for row in rows]
        base_fees = [base_fee(h) for h in headers]
        if headers:
            base_fees.append(calculate_expected_base_fee_per_gas(headers[-1]))
        result: dict[str, Any] = {
            "oldestBlock": render.quantity(first),
            "baseFeePerGas": [render.quantity(fee) for fee in base_fees],
            "gasUsedRatio": [h.gas_used / h.gas_limit for h in headers],
            "baseFeePerBlobGas": ["0x1"] * len(base_fees),
            "blobGasUsedRatio": [0.0] * len(headers),
        }
        if percentiles:
            result["reward"] = rewards
        return result


def _block(snap: Snapshot, row: BlockRow | None, full: bool) -> Any:
    if row is None:
        return None
    if full:
        parts = []
        for tx_hash in row.tx_hashes:
            record = snap.reader.tx(tx_hash)
            if record is not None:
                parts.append(record.json)
        transactions = b"[" + b",".join(parts) + b"]"
    else:
        transactions = orjson.dumps([render.data(h) for h in row.tx_hashes])
    return orjson.Fragment(row.json[:-1] + b',"transactions":' + transactions + b"}")


def _rows(snap: Snapshot, first: int, last: int) -> list[BlockRow]:
    rows = [snap.reader.block_by_number(n) for n in range(first, last + 1)]
    return [row for row in rows if row is not None]


def _rewards(snap: Snapshot, row: BlockRow, percentiles: Sequence[float]) -> list[str]:
    if not percentiles:
        return []
    floor = base_fee(snap.header(row))
    spent: list[tuple[int, int]] = []
    for tx_hash in row.tx_hashes:
        record = snap.reader.tx(tx_hash)
        if record is not None:
            receipt = orjson.loads(record.receipt)
            tip = int(receipt["effectiveGasPrice"], 16) - floor
            spent.append((tip, int(receipt["gasUsed"], 16)))
    if not spent:
        return [render.quantity(0)] * len(percentiles)
    spent.sort()
    total = sum(gas for _, gas in spent)
    rewards = []
    for percentile in percentiles:
        threshold = total * percentile / 100
        cumulative = 0
        chosen = spent[-1][0]
        for tip, gas in spent:
            cumulative += gas
            if cumulative >= threshold:
                chosen = tip
                break
        rewards.append(render.quantity(chosen))
    return rewards


def _percentiles(value: Any) -> list[float]:
    if not isinstance(value, list) or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise p.invalid("reward percentiles must be a list of numbers")
    if any(v < 0 or v > 100 for v in value) or any(a > b for a, b in zip(value, value[1:], strict=False)):
        raise p.invalid("reward percentiles must rise monotonically within 0..100")
    return [float(v) for v in value]


def _addresses(value: Any) -> list[bytes]:
    if value is None:
        return []
    if isinstance(value, list):
        return [p.address(item, "address") for item in value]
    return [p.address(value, "address")]


def _topics(value: Any) -> list[list[bytes]]:
    """Topic filter positions: ``null`` (any), one topic, or a list of alternatives."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise p.invalid("topics must be a list")
    if len(value) > 4:
        raise p.invalid("at most 4 topic positions")
    positions: list[list[bytes]] = []
    for item in value:
        if item is None:
            positions.append([])
        elif isinstance(item, list):
            if any(alternative is None for alternative in item):
                positions.append([])  # null among the alternatives matches anything
            else:
                positions.append([p.hash32(alternative, "topic") for alternative in item])
        else:
            positions.append([p.hash32(item, "topic")])
    return positions

"""What the store holds for a block, a transaction and a log, as written and as read back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LogRow:
    """One log of a mined block, with its rendered JSON object."""

    tx_index: int
    log_index: int
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    json: bytes


@dataclass(frozen=True)
class TxRow:
    """One mined transaction: its rendered JSON object and its receipt's, less the logs.

    ``first_log`` and ``log_count`` place the receipt's logs in the block's log index.
    """

    hash: bytes
    index: int
    json: bytes
    receipt: bytes
    first_log: int
    log_count: int


@dataclass(frozen=True)
class BlockRecord:
    """Everything one block adds to the store besides the key-value rows py-evm buffered."""

    number: int
    hash: bytes
    header: bytes
    json: bytes
    txs: Sequence[TxRow]
    logs: Sequence[LogRow]
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BlockRow:
    """A stored block: RLP header, JSON object without ``transactions``, transaction hashes."""

    number: int
    hash: bytes
    header: bytes
    json: bytes
    tx_hashes: tuple[bytes, ...]


@dataclass(frozen=True)
class TxRecord:
    """A stored transaction and where it was mined."""

    block: int
    index: int
    json: bytes
    receipt: bytes

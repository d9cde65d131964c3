"""A request's read access to committed blocks and state, and block-parameter resolution."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cached_property

import rlp
from eth.abc import BlockHeaderAPI
from eth.vm.forks.cancun.blocks import CancunBlockHeader
from lru import LRU

from node.embedded.chain import chain_class
from node.embedded.params import BlockRef
from node.embedded.reader import StoreReader
from node.embedded.records import BlockRow
from node.embedded.state import StateQueries
from node.embedded.store import LedgerStore
from node.errors import JsonRpcError, LedgerStoreError

SERVER_ERROR = -32000
_HEADERS_CACHED = 4096


class ChainView:
    """Hands out :class:`Snapshot` objects over pooled read connections.

    Decoded headers are cached by block hash (decoding one costs about a millisecond).
    """

    def __init__(self, *, store: LedgerStore, chain_id: int) -> None:
        self._store = store
        self.chain_id = chain_id
        self._chain = chain_class(chain_id)
        self._headers: LRU[bytes, BlockHeaderAPI] = LRU(_HEADERS_CACHED)

    @contextlib.contextmanager
    def read(self) -> Iterator[Snapshot]:
        with self._store.reader() as reader:
            yield Snapshot(reader, view=self)

    def header(self, row: BlockRow) -> BlockHeaderAPI:
        cached = self._headers.get(row.hash)
        if cached is None:
            cached = header_of(row)
            self._headers[row.hash] = cached
        return cached

    def queries(self, reader: StoreReader) -> StateQueries:
        return StateQueries(db=reader.kv, chain=self._chain)


class Snapshot:
    """Committed data as one request sees it; the head is read once, when first needed."""

    def __init__(self, reader: StoreReader, *, view: ChainView) -> None:
        self.reader = reader
        self._view = view

    @cached_property
    def head(self) -> BlockRow:
        row = self.reader.head()
        if row is None:
            raise LedgerStoreError("the ledger store holds no blocks")
        return row

    @cached_property
    def state(self) -> StateQueries:
        return self._view.queries(self.reader)

    def header(self, row: BlockRow) -> BlockHeaderAPI:
        return self._view.header(row)

    def block_row(self, ref: BlockRef) -> BlockRow | None:
        """The block ``ref`` names, or ``None`` when there is no such block (yet)."""
        if ref.hash is not None:
            return self.reader.block_by_hash(ref.hash)
        if ref.number is not None:
            if ref.number > self.head.number:
                return None
            return self.reader.block_by_number(ref.number)
        if ref.tag == "earliest":
            return self.reader.block_by_number(0)
        return self.head  # latest, pending, safe, finalized: every block is final at once

    def block_number(self, ref: BlockRef) -> int:
        """The number ``ref`` names, for range queries (a future number stays as given)."""
        if ref.number is not None:
            return ref.number
        if ref.tag == "earliest":
            return 0
        row = self.block_row(ref)
        if row is None:
            raise JsonRpcError(SERVER_ERROR, "unknown block")
        return row.number

    def state_header(self, ref: BlockRef) -> BlockHeaderAPI:
        """The header whose state ``ref`` asks for; an error when there is no such block."""
        row = self.block_row(ref)
        if row is None:
            raise JsonRpcError(SERVER_ERROR, "header not found")
        return self.header(row)


def header_of(row: BlockRow) -> BlockHeaderAPI:
    header: BlockHeaderAPI = rlp.decode(row.header, sedes=CancunBlockHeader)
    return header

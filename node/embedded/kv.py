"""py-evm's atomic key-value database over the ``kv`` table of the ledger's SQLite file.

Both views keep recently used values in memory. Besides saving the lookups, that keeps block
building from giving up the GIL on every trie node it reads (sqlite3 releases it around each
call), which under concurrent RPC traffic would leave the miner waiting for its turn each time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from eth.abc import AtomicWriteBatchAPI
from eth.db.atomic import AtomicDBWriteBatch
from eth.db.backends.base import BaseAtomicDB
from lru import LRU

from node.errors import LedgerStoreError

_GET = "SELECT v FROM kv WHERE k = ?"
WRITER_CACHE_ENTRIES = 200_000
READER_CACHE_ENTRIES = 100_000


class BlockBufferedKV(BaseAtomicDB):
    """The miner's view: committed rows plus the writes of the block being built.

    py-evm writes trie nodes, headers and lookups in several ``atomic_batch`` calls while it
    builds one block. They all land in an in-memory buffer here; :meth:`take_writes` hands
    the buffer to the store, which writes it in the same SQLite transaction as the block's
    receipts, log index and head pointer. So a block is either entirely on disk or not at all.
    The cache holds committed values only; :meth:`committed` adds a block's writes to it.
    """

    def __init__(self, *, connection: sqlite3.Connection, cache_entries: int = WRITER_CACHE_ENTRIES) -> None:
        self._connection = connection
        self._writes: dict[bytes, bytes | None] = {}
        self._cache: LRU[bytes, bytes] = LRU(cache_entries)

    def __getitem__(self, key: bytes) -> bytes:
        if key in self._writes:
            value = self._writes[key]
            if value is None:
                raise KeyError(key)
            return value
        cached: bytes | None = self._cache.get(key)
        if cached is not None:
            return cached
        row = self._connection.execute(_GET, (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        found = bytes(row[0])
        self._cache[key] = found
        return found

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._writes[key] = value

    def __delitem__(self, key: bytes) -> None:
        if not self._exists(key):
            raise KeyError(key)
        self._writes[key] = None

    def _exists(self, key: bytes) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        with AtomicDBWriteBatch._commit_unless_raises(self) as batch:
            yield batch

    def take_writes(self) -> dict[bytes, bytes | None]:
        """The buffered writes (``None`` marks a delete); the buffer starts empty again."""
        writes, self._writes = self._writes, {}
        return writes

    def committed(self, writes: Mapping[bytes, bytes | None]) -> None:
        """``writes`` (from :meth:`take_writes`) are now on disk."""
        for key, value in writes.items():
            if value is None:
                self._cache.pop(key, None)
            else:
                self._cache[key] = value

    def discard(self) -> None:
        """Forget the block being built (it failed and will not be committed)."""
        self._writes = {}


class ReadOnlyKV(BaseAtomicDB):
    """A reader's view of the committed rows, for state queries at any block.

    State trie nodes, code and headers are stored under their own hash and never change once
    written, so readers on their own connections see a consistent state for any committed
    state root, and those entries (the 32-byte keys) can be shared in ``cache``. py-evm's
    mutable entries (canonical head, number lookups) have longer keys and are always read.
    """

    def __init__(self, *, connection: sqlite3.Connection, cache: LRU[bytes, bytes]) -> None:
        self._connection = connection
        self._cache = cache

    def __getitem__(self, key: bytes) -> bytes:
        cached: bytes | None = self._cache.get(key)
        if cached is not None:
            return cached
        row = self._connection.execute(_GET, (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        found = bytes(row[0])
        if len(key) == 32:
            self._cache[key] = found
        return found

    def __setitem__(self, key: bytes, value: bytes) -> None:
        raise LedgerStoreError("internal error: a read-only ledger view was asked to write")

    def __delitem__(self, key: bytes) -> None:
        raise LedgerStoreError("internal error: a read-only ledger view was asked to delete")

    def _exists(self, key: bytes) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        with AtomicDBWriteBatch._commit_unless_raises(self) as batch:
            yield batch

"""py-evm's atomic key-value database over the ``kv`` table of the ledger's SQLite file.

Trie nodes, contract code and headers are stored under their own 32-byte hash and never change
once written, so one in-memory cache of those entries is shared by the miner and every reader.
Besides saving lookups, it keeps threads from giving up the GIL on each node they read
(sqlite3 releases it around every call): under concurrent RPC traffic each such release costs
the caller a wait for its turn, up to the interpreter's switch interval.
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
SHARED_CACHE_ENTRIES = 300_000
MINER_CACHE_ENTRIES = 20_000


def is_hash_key(key: bytes) -> bool:
    """Whether ``key`` names content by its hash (immutable); py-evm's other keys are longer."""
    return len(key) == 32


class BlockBufferedKV(BaseAtomicDB):
    """The miner's view: committed rows plus the writes of the block being built.

    py-evm writes trie nodes, headers and lookups in several ``atomic_batch`` calls while it
    builds one block. They all land in an in-memory buffer here; :meth:`take_writes` hands
    the buffer to the store, which writes it in the same SQLite transaction as the block's
    receipts, log index and head pointer. So a block is either entirely on disk or not at all.
    The caches hold committed values only; :meth:`committed` adds a block's writes to them.
    """

    def __init__(self, *, connection: sqlite3.Connection, shared: LRU[bytes, bytes]) -> None:
        self._connection = connection
        self._writes: dict[bytes, bytes | None] = {}
        self._shared = shared
        self._own: LRU[bytes, bytes] = LRU(MINER_CACHE_ENTRIES)  # canonical head, lookups, ...

    def __getitem__(self, key: bytes) -> bytes:
        if key in self._writes:
            value = self._writes[key]
            if value is None:
                raise KeyError(key)
            return value
        cache = self._shared if is_hash_key(key) else self._own
        cached: bytes | None = cache.get(key)
        if cached is not None:
            return cached
        row = self._connection.execute(_GET, (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        found = bytes(row[0])
        cache[key] = found
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
            cache = self._shared if is_hash_key(key) else self._own
            if value is None:
                cache.pop(key, None)
            else:
                cache[key] = value

    def discard(self) -> None:
        """Forget the block being built (it failed and will not be committed)."""
        self._writes = {}


class ReadOnlyKV(BaseAtomicDB):
    """A reader's view of the committed rows, for state queries at any block.

    Readers on their own connections see a consistent state for any committed state root.
    Hash-keyed entries come from the shared cache when they can; py-evm's mutable entries
    (canonical head, number lookups) are always read from the file.
    """

    def __init__(self, *, connection: sqlite3.Connection, shared: LRU[bytes, bytes]) -> None:
        self._connection = connection
        self._shared = shared

    def __getitem__(self, key: bytes) -> bytes:
        hash_key = is_hash_key(key)
        if hash_key:
            cached: bytes | None = self._shared.get(key)
            if cached is not None:
                return cached
        row = self._connection.execute(_GET, (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        found = bytes(row[0])
        if hash_key:
            self._shared[key] = found
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

"""The embedded ledger's one SQLite file: py-evm's key-value rows, blocks, receipts, log index.

Every block is written in one SQLite transaction (WAL, ``synchronous=FULL``): the state and
chain rows py-evm produced for it, its rendered block, transactions and receipts, its log
index rows and the head pointer. A block is therefore either wholly on disk or absent, and
whatever a reader can see has been made durable. Start-up reads the head row; it never replays
history.

Log rows are keyed ``id = block << 20 | log index`` (the log index counts within the block),
so a block range is a range of the table's own key, and each row carries the log's rendered
JSON object, which ``eth_getLogs`` joins into its answer without decoding anything.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO

from lru import LRU

from node.embedded import schema
from node.embedded.kv import SHARED_CACHE_ENTRIES, BlockBufferedKV
from node.embedded.logindex import LOG_INDEX_BITS
from node.embedded.reader import StoreReader
from node.embedded.records import BlockRecord
from node.errors import LedgerStoreError

MAX_LOGS_PER_BLOCK = 1 << LOG_INDEX_BITS
_READERS_KEPT = 8


class LedgerStore:
    """The SQLite file of one data dir; open it with :meth:`open`."""

    def __init__(self, *, path: Path, writer: sqlite3.Connection, lock: IO[bytes], is_new: bool) -> None:
        self.path = path
        self._writer = writer
        self._lock = lock
        self._logs_total = 0  # logs in all committed blocks: the next block's first log
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._nodes: LRU[bytes, bytes] = LRU(SHARED_CACHE_ENTRIES)
        self._kv = BlockBufferedKV(connection=writer, shared=self._nodes)
        self.is_new = is_new

    @classmethod
    def open(cls, data_dir: Path) -> LedgerStore:
        """Open the data dir's ledger file, creating the dir and an empty file when absent.

        Raises :class:`LedgerStoreError` when another process has the data dir open, when the
        file belongs to something else or has another schema version, or when its head does not
        hold together.
        """
        if data_dir.exists() and not data_dir.is_dir():
            raise LedgerStoreError(f"data dir {data_dir} exists and is not a directory")
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / schema.DB_NAME
        lock = schema.lock_data_dir(data_dir)
        try:
            writer = schema.connect(path)
        except sqlite3.Error as exc:
            lock.close()
            raise LedgerStoreError(f"cannot open {path}: {exc}") from exc
        store = cls(path=path, writer=writer, lock=lock, is_new=False)
        try:
            store.is_new = schema.check_file(writer, path)
            if not store.is_new:
                store._check_head()
        except sqlite3.DatabaseError as exc:
            store.close()
            raise LedgerStoreError(f"{path} is not a usable ledger database: {exc}") from exc
        except BaseException:
            store.close()
            raise
        return store

    @property
    def kv(self) -> BlockBufferedKV:
        """The miner's key-value view; only the thread that commits blocks may use it."""
        return self._kv

    def create(self, *, genesis: BlockRecord, meta: dict[str, str]) -> None:
        """Write the chain settings and the genesis block in one transaction."""
        if not self.is_new:
            raise LedgerStoreError(f"{self.path} already holds a ledger")
        self.commit_block(replace(genesis, meta={"format": schema.FORMAT, **meta, **genesis.meta}))
        self.is_new = False

    def commit_block(self, record: BlockRecord) -> None:
        """Make ``record`` and the buffered key-value writes durable: one transaction, fsynced
        before this returns."""
        writes = self._kv.take_writes()
        try:
            self._transaction(lambda: self._write_block(record, writes))
        except sqlite3.Error as exc:
            raise LedgerStoreError(f"cannot write block {record.number}: {exc}") from exc
        self._kv.committed(writes)
        self._logs_total += len(record.logs)

    def set_meta(self, values: dict[str, str]) -> None:
        """Durably record chain settings (the dev clock) outside a block."""
        statement = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"
        try:
            self._transaction(lambda: self._writer.executemany(statement, values.items()))
        except sqlite3.Error as exc:
            raise LedgerStoreError(f"cannot write ledger settings: {exc}") from exc

    @contextlib.contextmanager
    def reader(self) -> Iterator[StoreReader]:
        """A read connection from the pool, seeing only committed blocks."""
        try:
            connection = self._readers.get_nowait()
        except queue.Empty:
            connection = schema.connect(self.path)
            connection.execute("PRAGMA query_only = ON")
        try:
            yield StoreReader(connection, shared=self._nodes)
        finally:
            if self._readers.qsize() < _READERS_KEPT:
                self._readers.put(connection)
            else:
                connection.close()

    def close(self) -> None:
        while True:
            try:
                self._readers.get_nowait().close()
            except queue.Empty:
                break
        self._writer.close()
        self._lock.close()  # releases the data dir

    def _transaction(self, write: Callable[[], object]) -> None:
        self._writer.execute("BEGIN IMMEDIATE")
        try:
            write()
        except BaseException:
            self._writer.execute("ROLLBACK")
            raise
        self._writer.execute("COMMIT")

    def _write_block(self, record: BlockRecord, writes: dict[bytes, bytes | None]) -> None:
        db = self._writer
        db.executemany(
            "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)",
            [(k, v) for k, v in writes.items() if v is not None],
        )
        db.executemany("DELETE FROM kv WHERE k = ?", [(k,) for k, v in writes.items() if v is None])
        db.execute(
            "INSERT INTO blocks (number, hash, header, json, tx_hashes, first_log, log_count)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (record.number, record.hash, record.header, record.json, b"".join(tx.hash for tx in record.txs),
             self._logs_total, len(record.logs)),
        )  # fmt: skip
        db.executemany(
            "INSERT INTO txs (hash, block, idx, json, receipt, first_log, log_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(tx.hash, record.number, tx.index, tx.json, tx.receipt, tx.first_log, tx.log_count) for tx in record.txs],
        )
        base = record.number << LOG_INDEX_BITS
        db.executemany(
            "INSERT INTO logs (id, block, tx_index, log_index, address, topic0, topic1, topic2,"
            " topic3, data, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    base | log.log_index,
                    record.number,
                    log.tx_index,
                    log.log_index,
                    log.address,
                    *(log.topics + (None,) * (4 - len(log.topics))),
                    log.data,
                    log.json,
                )
                for log in record.logs
            ],
        )
        db.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [("head", str(record.number)), *record.meta.items()],
        )

    def _check_head(self) -> None:
        with self.reader() as reader:
            meta = reader.meta()
            head = reader.head()
            self._logs_total = reader.logs_through(head.number) if head is not None else 0
        if meta.get("format") != schema.FORMAT:
            raise LedgerStoreError(f"{self.path} is not a yrdx embedded ledger (format {meta.get('format')!r})")
        if head is None or meta.get("head") != str(head.number):
            raise LedgerStoreError(
                f"{self.path} is corrupt: head pointer {meta.get('head')!r} does not match the "
                f"last stored block {None if head is None else head.number}"
            )

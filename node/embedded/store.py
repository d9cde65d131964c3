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
import fcntl
import queue
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from lru import LRU

from node.embedded import logindex
from node.embedded.kv import SHARED_CACHE_ENTRIES, BlockBufferedKV, ReadOnlyKV
from node.errors import LedgerStoreError

DB_NAME = "ledger.sqlite"
LOCK_NAME = "ledger.lock"
APPLICATION_ID = 0x79726478  # "yrdx"
SCHEMA_VERSION = 1
FORMAT = "yrdx-embedded-ledger/1"
LOG_INDEX_BITS = logindex.LOG_INDEX_BITS
MAX_LOGS_PER_BLOCK = 1 << LOG_INDEX_BITS
_READERS_KEPT = 8

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE blocks (
    number INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    header BLOB NOT NULL,
    json BLOB NOT NULL,
    tx_hashes BLOB NOT NULL,
    first_log INTEGER NOT NULL,
    log_count INTEGER NOT NULL
);
CREATE TABLE txs (
    hash BLOB PRIMARY KEY,
    block INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    json BLOB NOT NULL,
    receipt BLOB NOT NULL,
    first_log INTEGER NOT NULL,
    log_count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE logs (
    id INTEGER PRIMARY KEY,
    block INTEGER NOT NULL,
    tx_index INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    address BLOB NOT NULL,
    topic0 BLOB,
    topic1 BLOB,
    topic2 BLOB,
    topic3 BLOB,
    data BLOB NOT NULL,
    json BLOB NOT NULL
);
CREATE INDEX logs_by_address ON logs (address, id);
CREATE INDEX logs_by_topic0 ON logs (topic0, id);
CREATE INDEX logs_by_topic1 ON logs (topic1, id);
CREATE INDEX logs_by_topic2 ON logs (topic2, id);
CREATE INDEX logs_by_topic3 ON logs (topic3, id);
"""


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
        path = data_dir / DB_NAME
        lock = _lock(data_dir)
        try:
            writer = _connect(path)
        except sqlite3.Error as exc:
            lock.close()
            raise LedgerStoreError(f"cannot open {path}: {exc}") from exc
        store = cls(path=path, writer=writer, lock=lock, is_new=False)
        try:
            store.is_new = _check_file(writer, path)
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
        self.commit_block(replace(genesis, meta={"format": FORMAT, **meta, **genesis.meta}))
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
            connection = _connect(self.path)
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
        if meta.get("format") != FORMAT:
            raise LedgerStoreError(f"{self.path} is not a yrdx embedded ledger (format {meta.get('format')!r})")
        if head is None or meta.get("head") != str(head.number):
            raise LedgerStoreError(
                f"{self.path} is corrupt: head pointer {meta.get('head')!r} does not match the "
                f"last stored block {None if head is None else head.number}"
            )


class StoreReader:
    """Queries over committed blocks, on one pooled connection."""

    def __init__(self, connection: sqlite3.Connection, *, shared: LRU[bytes, bytes]) -> None:
        self._db = connection
        self.kv = ReadOnlyKV(connection=connection, shared=shared)

    def meta(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._db.execute("SELECT key, value FROM meta")}

    def head(self) -> BlockRow | None:
        return self._block("ORDER BY number DESC LIMIT 1", ())

    def block_by_number(self, number: int) -> BlockRow | None:
        return self._block("WHERE number = ?", (number,))

    def block_by_hash(self, block_hash: bytes) -> BlockRow | None:
        return self._block("WHERE hash = ?", (block_hash,))

    def headers(self, first: int, last: int) -> list[bytes]:
        """RLP headers of blocks ``first`` to ``last`` inclusive, in order."""
        rows = self._db.execute("SELECT header FROM blocks WHERE number BETWEEN ? AND ? ORDER BY number", (first, last))
        return [bytes(row[0]) for row in rows]

    def logs_through(self, number: int) -> int:
        """Logs in blocks 0..``number``."""
        row = self._db.execute("SELECT first_log + log_count FROM blocks WHERE number = ?", (number,)).fetchone()
        return 0 if row is None else int(row[0])

    def tx(self, tx_hash: bytes) -> TxRecord | None:
        """A mined transaction; its receipt with the logs spliced back in from the log index."""
        row = self._db.execute(
            "SELECT block, idx, json, receipt, first_log, log_count FROM txs WHERE hash = ?", (tx_hash,)
        ).fetchone()
        if row is None:
            return None
        block, first_log, log_count = int(row[0]), int(row[4]), int(row[5])
        logs = b""
        if log_count:
            first = (block << LOG_INDEX_BITS) | first_log
            found = self._db.execute(
                "SELECT CAST(group_concat(json, ',') AS BLOB) FROM"
                " (SELECT json FROM logs WHERE id BETWEEN ? AND ? ORDER BY id)",
                (first, first + log_count - 1),
            ).fetchone()
            logs = bytes(found[0])
        receipt = bytes(row[3])
        return TxRecord(block, int(row[1]), bytes(row[2]), receipt[:-1] + b',"logs":[' + logs + b"]}")

    def logs(
        self, first: int, last: int, *, addresses: Sequence[bytes], topics: Sequence[Sequence[bytes]], limit: int
    ) -> logindex.LogsAnswer:
        """Matching logs of blocks ``first``..``last``; see :func:`logindex.query`."""
        return logindex.query(self._db, first, last, addresses=addresses, topics=topics, limit=limit)

    def _block(self, where: str, args: tuple[object, ...]) -> BlockRow | None:
        query = f"SELECT number, hash, header, json, tx_hashes FROM blocks {where}"  # noqa: S608 - fixed clauses
        row = self._db.execute(query, args).fetchone()
        if row is None:
            return None
        hashes = bytes(row[4])
        return BlockRow(
            int(row[0]),
            bytes(row[1]),
            bytes(row[2]),
            bytes(row[3]),
            tuple(hashes[i : i + 32] for i in range(0, len(hashes), 32)),
        )


def _lock(data_dir: Path) -> IO[bytes]:
    """An exclusive lock on the data dir, held while the file stays open (gone with the process)."""
    handle = open(data_dir / LOCK_NAME, "ab")  # noqa: SIM115 - held until close()
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        handle.close()
        raise LedgerStoreError(f"data dir {data_dir} is in use by another ledger process") from exc
    return handle


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout = 10000")
    return connection


def _check_file(connection: sqlite3.Connection, path: Path) -> bool:
    """Whether the ledger is still to be created; raises for a foreign or other-version file."""
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    has_tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    if application_id == 0 and not has_tables:
        connection.execute("PRAGMA journal_mode = WAL")
        _durable(connection)
        _create_schema(connection)
        return True
    if application_id != APPLICATION_ID:
        raise LedgerStoreError(
            f"{path} is not a yrdx embedded ledger (SQLite application id {application_id:#x}); use an empty data dir"
        )
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        raise LedgerStoreError(f"{path} has ledger schema version {version}; this yrdx reads version {SCHEMA_VERSION}")
    mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise LedgerStoreError(f"{path} cannot be switched to WAL mode (got {mode})")
    _durable(connection)
    # A crash between creating the schema and committing genesis leaves no format row.
    return connection.execute("SELECT 1 FROM meta WHERE key = 'format'").fetchone() is None


def _durable(connection: sqlite3.Connection) -> None:
    """Commits reach the disk before they return; the WAL shrinks back after checkpoints."""
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute(f"PRAGMA journal_size_limit = {64 * 1024 * 1024}")


def _create_schema(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")

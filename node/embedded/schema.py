"""The ledger file: its tables, the marks that make it ours, and the checks on opening it.

The file carries SQLite's ``application_id`` "yrdx" and a ``user_version`` for the schema, so
a foreign SQLite file, another schema version or a file that is not SQLite at all is refused
before anything is read. A lock file beside it keeps a second process out of the data dir.
"""

from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path
from typing import IO

from node.errors import LedgerStoreError

DB_NAME = "ledger.sqlite"
LOCK_NAME = "ledger.lock"
APPLICATION_ID = 0x79726478  # "yrdx"
SCHEMA_VERSION = 1
FORMAT = "yrdx-embedded-ledger/1"
WAL_SIZE_LIMIT = 64 * 1024 * 1024

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


def lock_data_dir(data_dir: Path) -> IO[bytes]:
    """An exclusive lock on the data dir, held while the file stays open (gone with the process)."""
    handle = open(data_dir / LOCK_NAME, "ab")  # noqa: SIM115 - held until close()
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        handle.close()
        raise LedgerStoreError(f"data dir {data_dir} is in use by another ledger process") from exc
    return handle


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout = 10000")
    return connection


def check_file(connection: sqlite3.Connection, path: Path) -> bool:
    """Whether the ledger is still to be created; raises for a foreign or other-version file."""
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    has_tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    if application_id == 0 and not has_tables:
        connection.execute("PRAGMA journal_mode = WAL")
        durable(connection)
        create_schema(connection)
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
    durable(connection)
    # A crash between creating the schema and committing genesis leaves no format row.
    return connection.execute("SELECT 1 FROM meta WHERE key = 'format'").fetchone() is None


def durable(connection: sqlite3.Connection) -> None:
    """Commits reach the disk before they return; the WAL shrinks back after checkpoints."""
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")


def create_schema(connection: sqlite3.Connection) -> None:
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

"""Queries over the committed blocks of the ledger file, on one read connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from lru import LRU

from node.embedded import logindex
from node.embedded.kv import ReadOnlyKV
from node.embedded.logindex import LOG_INDEX_BITS
from node.embedded.records import BlockRow, TxRecord


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

"""``eth_getLogs`` over the log index: picking a plan, and reading answers in pieces.

Logs are rows keyed ``id = block << 20 | log index``, with indexes on ``(address, id)`` and
``(topicN, id)``. A filter that matches few of the logs in the range is best served by one of
those indexes; one that matches most (the usual "all events of our contracts" query) by
walking the range in key order and testing each row, which SQLite does in C. Which case holds
is found by counting index entries up to a cap of one eighth of the logs in the range.

Answers are read in chunks that SQLite concatenates itself (``group_concat`` of the stored
JSON objects), so a million logs never become a million Python objects.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

LOG_INDEX_BITS = 20
_CHUNK = 20_000  # logs per piece of the answer
_SMALL_RANGE = 4_096  # logs in range below which the range walk always wins
_INDEX_SHARE = 8  # an index is used when it matches fewer than 1/8 of the range


@dataclass(frozen=True)
class LogsAnswer:
    """Matching logs as pieces of one JSON array body (comma-joined objects, no brackets)."""

    pieces: list[bytes]
    count: int
    complete: bool  # False: more than the limit matched, and reading stopped there


@dataclass(frozen=True)
class _Filter:
    column: str
    values: tuple[bytes, ...]

    @property
    def sql(self) -> str:
        return f"{self.column} IN ({','.join('?' * len(self.values))})"


def query(
    db: sqlite3.Connection,
    first: int,
    last: int,
    *,
    addresses: Sequence[bytes],
    topics: Sequence[Sequence[bytes]],
    limit: int,
) -> LogsAnswer:
    """Logs of blocks ``first``..``last`` (inclusive) matching every filter, in chain order.

    ``topics[i]`` lists the values allowed at position i; an empty list allows any. Reads at
    most ``limit + 1`` logs, so ``complete`` tells whether more than ``limit`` matched.
    """
    low, high = first << LOG_INDEX_BITS, ((last + 1) << LOG_INDEX_BITS) - 1
    filters = [_Filter("address", tuple(addresses))] if addresses else []
    filters += [_Filter(f"topic{i}", tuple(values)) for i, values in enumerate(topics) if values]
    in_range = _logs_between(db, first, last)
    if in_range == 0:
        return LogsAnswer([], 0, True)
    chosen = _selective_index(db, filters, low, high, in_range) if in_range > _SMALL_RANGE else None
    if chosen is None:
        return _walk(db, filters, low, high, limit)
    return _through_index(db, chosen, filters, low, high, limit)


def _logs_between(db: sqlite3.Connection, first: int, last: int) -> int:
    """Logs in blocks ``first``..``last``, from the running totals kept per block."""
    start = db.execute("SELECT first_log FROM blocks WHERE number >= ? ORDER BY number LIMIT 1", (first,)).fetchone()
    end = db.execute(
        "SELECT first_log + log_count FROM blocks WHERE number <= ? ORDER BY number DESC LIMIT 1", (last,)
    ).fetchone()
    if start is None or end is None:
        return 0
    return max(0, int(end[0]) - int(start[0]))


def _selective_index(
    db: sqlite3.Connection, filters: list[_Filter], low: int, high: int, in_range: int
) -> _Filter | None:
    """The filter whose index matches fewest logs, if fewer than a share of the range."""
    cap = in_range // _INDEX_SHARE
    best: tuple[int, _Filter] | None = None
    for candidate in filters:
        count = db.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM logs INDEXED BY logs_by_{candidate.column} "  # noqa: S608
            f"WHERE {candidate.sql} AND id BETWEEN ? AND ? LIMIT ?)",
            (*candidate.values, low, high, cap),
        ).fetchone()[0]
        if count < cap and (best is None or count < best[0]):
            best = (count, candidate)
    return None if best is None else best[1]


def _walk(db: sqlite3.Connection, filters: list[_Filter], low: int, high: int, limit: int) -> LogsAnswer:
    """Walk the range in key order, testing each row; the answer in pieces of ``_CHUNK`` logs."""
    where = "".join(f" AND {f.sql}" for f in filters)
    values = [v for f in filters for v in f.values]
    sql = (
        "SELECT CAST(group_concat(json, ',') AS BLOB), max(id), count(*) FROM ("  # noqa: S608 - fixed clauses
        f"SELECT id, json FROM logs NOT INDEXED WHERE id > ? AND id <= ?{where} ORDER BY id LIMIT ?)"
    )
    pieces: list[bytes] = []
    count = 0
    after = low - 1
    while count <= limit:
        blob, last_id, found = db.execute(sql, (after, high, *values, min(_CHUNK, limit + 1 - count))).fetchone()
        if not found:
            break
        pieces.append(bytes(blob))
        count += int(found)
        after = int(last_id)
    return LogsAnswer(pieces, count, count <= limit)


def _through_index(
    db: sqlite3.Connection, index: _Filter, filters: list[_Filter], low: int, high: int, limit: int
) -> LogsAnswer:
    others = [f for f in filters if f is not index]
    where = "".join(f" AND {f.sql}" for f in others)
    sql = (
        f"SELECT json FROM logs INDEXED BY logs_by_{index.column} WHERE {index.sql} "  # noqa: S608 - fixed clauses
        f"AND id BETWEEN ? AND ?{where} ORDER BY id LIMIT ?"
    )
    rows = db.execute(sql, (*index.values, low, high, *[v for f in others for v in f.values], limit + 1)).fetchall()
    pieces = [b",".join(row[0] for row in rows)] if rows else []
    return LogsAnswer(pieces, len(rows), len(rows) <= limit)

"""``SqlNodeStore``: the ``node.merkle.NodeStore`` of the audit log, over the ``audit_nodes`` table.

Reads run on a connection of their own. Writes happen only inside ``writing(conn)``, on the
connection (and so in the transaction) that also inserts the events, so the events and the
subtree hashes over them commit together or not at all. The nodes of every level a batch
completes are inserted with one statement when ``writing`` ends: each statement hands the GIL
to the event loop and waits to get it back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, and_, func, select, tuple_

from gateway.db import insert_many, run
from gateway.errors import AuditUnavailable
from gateway.schema import audit_nodes
from node.errors import ProofError

_IN_CHUNK = 200


class SqlNodeStore:
    """Level-indexed subtree hashes in SQL; widths are kept in memory (one writer per log)."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._widths: dict[int, int] = {}
        self.reload()

    def reload(self) -> None:
        """Re-read how many nodes each level holds (after a failed write, say)."""
        n = audit_nodes
        rows = run(
            self._engine,
            "read the audit tree",
            lambda conn: conn.execute(select(n.c.level, func.max(n.c.idx)).group_by(n.c.level)).all(),
        )
        self._widths = {int(level): int(top) + 1 for level, top in rows}

    @contextmanager
    def writing(self, conn: Connection) -> Iterator[None]:
        """Send this thread's writes to ``conn``, inserted when the block ends; on an error
        nothing is inserted and the widths are as before."""
        self._local.conn = conn
        self._local.rows = []
        saved = dict(self._widths)
        try:
            yield
            self._flush(conn)
        except BaseException:
            self._widths = saved
            raise
        finally:
            self._local.conn = None
            self._local.rows = []

    def width(self, level: int) -> int:
        return self._widths.get(level, 0)

    def nodes(self, ids: Sequence[tuple[int, int]]) -> list[bytes]:
        if not ids:
            return []
        for level, index in ids:
            if not 0 <= index < self.width(level):
                raise ProofError(f"no node ({level}, {index}) in the store")
        found: dict[tuple[int, int], bytes] = {}
        n = audit_nodes

        def read(conn: Connection) -> None:
            unique = sorted(set(ids))
            for i in range(0, len(unique), _IN_CHUNK):
                chunk = unique[i : i + _IN_CHUNK]
                rows = conn.execute(select(n.c.level, n.c.idx, n.c.hash).where(tuple_(n.c.level, n.c.idx).in_(chunk)))
                for level, idx, h in rows:
                    found[(int(level), int(idx))] = bytes(h)

        self._read("read audit tree nodes", read)
        try:
            return [found[i] for i in ids]
        except KeyError as exc:
            raise ProofError(f"no node {exc.args[0]} in the store") from None

    def span(self, level: int, start: int, stop: int) -> list[bytes]:
        if not 0 <= start <= stop <= self.width(level):
            raise ProofError(f"no nodes [{start}, {stop}) at level {level} in the store")
        if start == stop:
            return []
        n = audit_nodes
        stmt = select(n.c.hash).where(and_(n.c.level == level, n.c.idx >= start, n.c.idx < stop)).order_by(n.c.idx)
        out: list[bytes] = []
        self._read("read audit tree nodes", lambda conn: out.extend(bytes(r[0]) for r in conn.execute(stmt)))
        if len(out) != stop - start:
            raise ProofError(f"expected {stop - start} nodes at level {level}, found {len(out)}")
        return out

    def extend(self, level: int, hashes: Sequence[bytes]) -> None:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            raise AuditUnavailable("audit tree nodes are written only inside a transaction of the audit trail")
        if not hashes:
            return
        start = self.width(level)
        self._local.rows.extend((level, start + i, h) for i, h in enumerate(hashes))
        self._widths[level] = start + len(hashes)

    def _flush(self, conn: Connection) -> None:
        rows = self._local.rows
        if rows:
            insert_many(conn, audit_nodes, ("level", "idx", "hash"), rows)
            self._local.rows = []

    def _read(self, what: str, fn: Callable[[Connection], object]) -> None:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            self._flush(conn)  # a read inside the transaction sees what it wrote (repair)
            fn(conn)
            return
        run(self._engine, what, fn)

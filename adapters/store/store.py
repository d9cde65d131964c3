"""The province store: records and their versions, the outbox of ledger writes, the batch
journal and the event cursors, behind one small API on SQLAlchemy Core.

Every method that changes something does it in one database transaction, so a crash leaves
either all of a step or none of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update

from adapters.store import schema
from adapters.store.base import bulk_insert, chunks, fetch_all, param_mark
from adapters.store.db import create_store_engine, migrate
from adapters.store.journal import OutboxJournal, insert_ops
from adapters.store.publishing import publisher_lock
from adapters.store.rows import (
    RECORD_COLUMNS,
    RESULT_ACTIVE,
    SHARED_ENTRY,
    Changes,
    StoredRecord,
    StoredVersion,
)


class Store(OutboxJournal):
    """One province's store: its records and their versions, the outbox and batch journal
    (``OutboxJournal``), and the event cursors. Safe to share between threads."""

    @classmethod
    def open(cls, dsn: str) -> Store:
        """Open (creating or migrating as needed) the store at ``dsn``."""
        engine = create_store_engine(dsn)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def publishing(self, *, wait: float | None = None) -> contextlib.AbstractContextManager[bool]:
        """Hold the store's publisher lock for a block: one process publishes for a province at
        a time (see ``adapters.store.publishing``); ``wait``: seconds before ``StoreBusy``.
        Yields whether the block took the lock, rather than joining this process's hold."""
        return publisher_lock(self.engine, wait=wait)

    # -- records ----------------------------------------------------------------------------

    def records(self, record_ids: Sequence[str]) -> dict[str, StoredRecord]:
        """The stored rows of ``record_ids`` that exist."""

        def q(conn: Connection) -> dict[str, StoredRecord]:
            found: dict[str, StoredRecord] = {}
            mark = param_mark(conn)
            for chunk in chunks(record_ids):
                sql = f"SELECT {_RECORD_SELECT} FROM records WHERE record_id IN ({', '.join([mark] * len(chunk))})"  # noqa: S608
                for row in conn.exec_driver_sql(sql, tuple(chunk)).fetchall():
                    found[row[0]] = StoredRecord(*row)
            return found

        return self._run("read records", q)

    def record(self, record_id: str) -> StoredRecord | None:
        return self.records([record_id]).get(record_id)

    def version(self, record_id: str, version: int) -> StoredVersion | None:
        """Version ``version`` of a record (its commitment, salt and canonical record)."""

        def q(conn: Connection) -> StoredVersion | None:
            row = conn.execute(
                select(schema.versions).where(
                    and_(schema.versions.c.record_id == record_id, schema.versions.c.version == version)
                )
            ).first()
            return StoredVersion(*row) if row else None

        return self._run("read a version", q)

    def versions(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], StoredVersion]:
        """Several versions at once, keyed by (record id, version)."""

        def q(conn: Connection) -> dict[tuple[str, int], StoredVersion]:
            wanted = set(keys)
            out: dict[tuple[str, int], StoredVersion] = {}
            for chunk in chunks(sorted({k[0] for k in keys})):
                rows = conn.execute(select(schema.versions).where(schema.versions.c.record_id.in_(chunk)))
                for row in rows:
                    if (row.record_id, row.version) in wanted:
                        out[(row.record_id, row.version)] = StoredVersion(*row)
            return out

        return self._run("read versions", q)

    def current_versions(self, record_ids: Sequence[str]) -> dict[str, StoredVersion]:
        """The latest version row of each record."""

        def q(conn: Connection) -> dict[str, StoredVersion]:
            out: dict[str, StoredVersion] = {}
            r, v = schema.records, schema.versions
            for chunk in chunks(record_ids):
                rows = conn.execute(
                    select(v)
                    .join(r, and_(r.c.record_id == v.c.record_id, r.c.version == v.c.version))
                    .where(r.c.record_id.in_(chunk))
                )
                for row in rows:
                    out[row.record_id] = StoredVersion(*row)
            return out

        return self._run("read current versions", q)

    def iter_records(
        self, *, origin: str | None = None, kind: str | None = None, batch: int = 5_000
    ) -> Iterator[tuple[StoredRecord, StoredVersion]]:
        """Every record with its current version, in record-id order, read in pages."""
        r, v = schema.records, schema.versions
        after = ""
        while True:
            conds = [r.c.record_id > after]
            if origin is not None:
                conds.append(r.c.origin == origin)
            if kind is not None:
                conds.append(r.c.kind == kind)
            stmt = (
                select(r, v)
                .join(v, and_(r.c.record_id == v.c.record_id, r.c.version == v.c.version))
                .where(and_(*conds))
                .order_by(r.c.record_id)
                .limit(batch)
            )
            rows: Sequence[Any] = self._run("read records", partial(fetch_all, stmt))
            if not rows:
                return
            n = len(RECORD_COLUMNS)
            for row in rows:
                yield StoredRecord(*row[:n]), StoredVersion(*row[n:])
            after = rows[-1][0]

    def missing_content(self, *, after: str = "", limit: int = 1_000) -> list[StoredRecord]:
        """Synced copies that are shared on the ledger but whose current version's record and
        salt have not been obtained yet: the first ``limit`` in record-id order after ``after``.
        A version whose package was refused is left out (``clear_refusals`` asks again)."""
        r, v, f = schema.records, schema.versions, schema.refusals
        refused = select(f.c.id).where(and_(f.c.record_id == r.c.record_id, f.c.version == r.c.version)).exists()
        shared = or_(
            and_(r.c.kind == "list-entry", r.c.status.in_(SHARED_ENTRY)),
            and_(r.c.kind == "evaluation", r.c.status == RESULT_ACTIVE),
        )
        stmt = (
            select(r)
            .join(v, and_(r.c.record_id == v.c.record_id, r.c.version == v.c.version))
            .where(and_(r.c.origin == "synced", r.c.record_id > after, v.c.record.is_(None), shared, ~refused))
            .order_by(r.c.record_id)
            .limit(limit)
        )
        return self._run("read missing copies", lambda conn: [StoredRecord(*row) for row in conn.execute(stmt)])

    def records_by_tag(self, subject_tags: Sequence[str]) -> list[StoredRecord]:
        def q(conn: Connection) -> list[StoredRecord]:
            rows = conn.execute(select(schema.records).where(schema.records.c.subject_tag.in_(list(subject_tags))))
            return [StoredRecord(*row) for row in rows]

        return self._run("read records by subject tag", q)

    def counts(self) -> dict[str, Any]:
        """Record counts by origin, kind and status; outbox counts by state."""

        def q(conn: Connection) -> dict[str, Any]:
            r, o = schema.records, schema.outbox
            by_status: dict[str, dict[str, dict[int, int]]] = {}
            rows = conn.execute(
                select(r.c.origin, r.c.kind, r.c.status, func.count()).group_by(r.c.origin, r.c.kind, r.c.status)
            )
            for origin, kind, status, n in rows:
                by_status.setdefault(origin, {}).setdefault(kind, {})[int(status)] = int(n)
            outbox = {state: int(n) for state, n in conn.execute(select(o.c.state, func.count()).group_by(o.c.state))}
            return {"records": by_status, "outbox": outbox}

        return self._run("count records", q)

    # -- writes ---------------------------------------------------------------------------

    def write(self, changes: Changes) -> list[int]:
        """Apply ``changes`` in one transaction; returns the outbox ids of ``changes.ops``, in
        their order (ids grow with every write)."""
        if not changes:
            return []

        def tx(conn: Connection) -> list[int]:
            op_ids: list[int] = []
            if changes.new_records:
                bulk_insert(conn, schema.records, changes.new_records)
            for cols, group in _group_by_columns(changes.record_updates):
                stmt = (
                    update(schema.records)
                    .where(schema.records.c.record_id == bindparam("_id"))
                    .values({c: bindparam(c) for c in cols})
                )
                conn.execute(stmt, [{**{c: u[c] for c in cols}, "_id": u["record_id"]} for u in group])
            if changes.new_versions:
                bulk_insert(conn, schema.versions, changes.new_versions)
            if changes.version_updates:
                stmt = (
                    update(schema.versions)
                    .where(
                        and_(
                            schema.versions.c.record_id == bindparam("_id"),
                            schema.versions.c.version == bindparam("_v"),
                        )
                    )
                    .values(salt=bindparam("salt"), record=bindparam("record"))
                )
                conn.execute(
                    stmt,
                    [
                        {"_id": u["record_id"], "_v": u["version"], "salt": u["salt"], "record": u["record"]}
                        for u in changes.version_updates
                    ],
                )
            if changes.ops:
                op_ids = insert_ops(conn, changes.ops)
            if changes.refusals:
                conn.execute(schema.refusals.insert(), changes.refusals)
            if changes.cursor is not None:
                _set_cursor(conn, *changes.cursor)
            return op_ids

        return self._run("write records", tx, write=True)

    # -- cursors --------------------------------------------------------------------------

    def cursor(self, name: str) -> int | None:
        """The last block the follower ``name`` has fully processed."""
        c = schema.cursors
        row = self._run("read a cursor", lambda conn: conn.execute(select(c.c.block).where(c.c.name == name)).first())
        return int(row[0]) if row else None

    def set_cursor(self, name: str, block: int) -> None:
        self._run("write a cursor", lambda conn: _set_cursor(conn, name, block), write=True)

    def clear_refusals(self) -> int:
        """Forget the refused packages, so the next sync asks their owners again; returns how many."""
        return self._run(
            "clear refusals", lambda conn: int(conn.execute(schema.refusals.delete()).rowcount), write=True
        )

    def refusals(self) -> list[dict[str, Any]]:
        f = schema.refusals
        return self._run(
            "read refusals", lambda conn: [dict(r._mapping) for r in conn.execute(select(f).order_by(f.c.id))]
        )


_RECORD_SELECT = ", ".join(RECORD_COLUMNS)


def _set_cursor(conn: Connection, name: str, block: int) -> None:
    c = schema.cursors
    if conn.execute(update(c).where(c.c.name == name).values(block=block)).rowcount == 0:
        conn.execute(c.insert().values(name=name, block=block))


def _group_by_columns(updates: Iterable[dict[str, Any]]) -> list[tuple[tuple[str, ...], list[dict[str, Any]]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for u in updates:
        cols = tuple(sorted(k for k in u if k != "record_id"))
        if not cols:
            continue
        groups.setdefault(cols, []).append(u)
    return list(groups.items())

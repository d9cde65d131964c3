"""The province store: records and their versions, the outbox of ledger writes, the batch
journal and the event cursors, behind one small API on SQLAlchemy Core.

Every method that changes something does it in one database transaction, so a crash leaves
either all of a step or none of it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, bindparam, func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from adapters.store import schema
from adapters.store.db import create_store_engine, migrate
from adapters.store.errors import StoreCorrupt, store_error
from adapters.store.publishing import publisher_lock

T = TypeVar("T")
_IN_CHUNK = 500  # ids per IN (...) query

RECORD_COLUMNS = tuple(c.name for c in schema.records.columns)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A ``records`` row."""

    record_id: str
    kind: str
    province: str
    local_id: str
    origin: str
    version: int
    status: int
    anchored_version: int
    anchored_status: int
    subject_tag: str
    tag_key_version: int
    list_type: int | None
    domain: int
    scheme_id: int | None
    grade: int | None
    chain_valid_from: int
    chain_valid_until: int
    source_updated_at: str | None
    block_number: int | None


@dataclass(frozen=True, slots=True)
class StoredVersion:
    record_id: str
    version: int
    commitment: str
    salt: str | None
    record: str | None  # canonical JSON
    valid_from: int | None = None  # the version's ledger validity (None: not recorded)
    valid_until: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxOp:
    """A pending ledger write with what its call needs. ``record`` is the record's row, which
    describes its latest version; ``content`` is the canonical record of the version this
    operation writes, which may be an earlier one."""

    id: int
    op: str
    record: StoredRecord
    version: int
    target_status: int | None
    commitment: str
    content: str | None = None
    valid_from: int | None = None  # of the version this operation writes
    valid_until: int | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    """A journaled transaction."""

    id: int
    op: str
    sender: str
    nonce: int
    tx_hash: str
    raw_tx: bytes
    to_address: str
    gas: int
    state: str


@dataclass
class Changes:
    """What one ingest or sync step writes, applied atomically by ``Store.write``."""

    new_records: list[dict[str, Any]]
    record_updates: list[dict[str, Any]]  # each with record_id and the columns to set
    new_versions: list[dict[str, Any]]
    version_updates: list[dict[str, Any]]  # record_id, version, salt, record
    ops: list[dict[str, Any]]  # op, record_id, version, target_status
    refusals: list[dict[str, Any]]
    cursor: tuple[str, int] | None = None

    @classmethod
    def empty(cls) -> Changes:
        return cls([], [], [], [], [], [])

    def __bool__(self) -> bool:
        return bool(
            self.new_records
            or self.record_updates
            or self.new_versions
            or self.version_updates
            or self.ops
            or self.refusals
            or self.cursor
        )


def _chunks(items: Sequence[T], size: int = _IN_CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Store:
    """One province's store. Safe to share between threads (one connection per call)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Writers of one process take turns here rather than in SQLite's busy handler, which
        # sleeps in steps of milliseconds; other processes still meet the database's own lock.
        self._write_lock = threading.Lock()

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

    @property
    def dsn(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def _run(self, what: str, fn: Callable[[Connection], T], *, write: bool = False) -> T:
        try:
            if write:
                with self._write_lock, self.engine.begin() as conn:
                    return fn(conn)
            with self.engine.connect() as conn:
                return fn(conn)
        except DBAPIError as exc:
            raise store_error(exc, f"store {self.dsn}: {what}") from exc

    # -- records ----------------------------------------------------------------------------

    def records(self, record_ids: Sequence[str]) -> dict[str, StoredRecord]:
        """The stored rows of ``record_ids`` that exist."""

        def q(conn: Connection) -> dict[str, StoredRecord]:
            found: dict[str, StoredRecord] = {}
            mark = _mark(conn)
            for chunk in _chunks(record_ids):
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
            for chunk in _chunks(sorted({k[0] for k in keys})):
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
            for chunk in _chunks(record_ids):
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
            rows: Sequence[Any] = self._run("read records", partial(_all, stmt))
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
            and_(r.c.kind == "list-entry", r.c.status.in_(_SHARED_ENTRY)),
            and_(r.c.kind == "evaluation", r.c.status == _RESULT_ACTIVE),
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
                _bulk_insert(conn, schema.records, changes.new_records)
            for cols, group in _group_by_columns(changes.record_updates):
                stmt = (
                    update(schema.records)
                    .where(schema.records.c.record_id == bindparam("_id"))
                    .values({c: bindparam(c) for c in cols})
                )
                conn.execute(stmt, [{**{c: u[c] for c in cols}, "_id": u["record_id"]} for u in group])
            if changes.new_versions:
                _bulk_insert(conn, schema.versions, changes.new_versions)
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
                op_ids = _insert_ops(conn, changes.ops)
            if changes.refusals:
                conn.execute(schema.refusals.insert(), changes.refusals)
            if changes.cursor is not None:
                _set_cursor(conn, *changes.cursor)
            return op_ids

        return self._run("write records", tx, write=True)

    # -- outbox and batch journal -----------------------------------------------------------

    def pending_ops(self, limit: int) -> list[OutboxOp]:
        """The oldest pending outbox operations, in order, with their records and commitments."""

        def q(conn: Connection) -> list[OutboxOp]:
            # plain SQL: SQLAlchemy's row processing cost more than the query on a full outbox.
            # A version's canonical record is read only when its validity is not recorded.
            sql = (
                "SELECT o.id, o.op, o.version, o.target_status, v.commitment,"  # noqa: S608 - no data in it
                " CASE WHEN v.valid_from IS NULL OR v.valid_until IS NULL THEN v.record END,"
                f" v.valid_from, v.valid_until, {_RECORD_SELECT_R}"
                " FROM outbox o JOIN records r ON r.record_id = o.record_id"
                " JOIN versions v ON v.record_id = o.record_id AND v.version = o.version"
                f" WHERE o.state = 'pending' ORDER BY o.id LIMIT {int(limit)}"
            )
            return [
                OutboxOp(row[0], row[1], StoredRecord(*row[8:]), row[2], row[3], row[4], row[5], row[6], row[7])
                for row in conn.exec_driver_sql(sql).fetchall()
            ]

        return self._run("read the outbox", q)

    def has_pending(self) -> bool:
        return self._run(
            "read the outbox",
            lambda conn: (
                conn.execute(select(schema.outbox.c.id).where(schema.outbox.c.state == "pending").limit(1)).first()
                is not None
            ),
        )

    def journal_batch(self, *, op: str, op_ids: Sequence[int], tx: Mapping[str, Any]) -> int:
        """Record a signed transaction and claim its operations, atomically.

        ``tx`` holds sender, nonce, tx_hash, raw_tx, to_address and gas. A transaction the
        journal holds already as a failed batch with no operations left (the same operations
        signed again with the same nonce and fees after the ledger refused them) is that batch
        again. Raises ``StoreCorrupt`` if another publisher claimed any of the operations first,
        or journaled the same transaction.
        """

        def t(conn: Connection) -> int:
            b, o = schema.batches, schema.outbox
            earlier = conn.execute(select(b.c.id, b.c.state).where(b.c.tx_hash == tx["tx_hash"])).first()
            if earlier is None:
                try:
                    inserted = conn.execute(b.insert().values(op=op, state="signed", **tx)).inserted_primary_key
                except IntegrityError as exc:  # journaled by another publisher a moment ago
                    raise StoreCorrupt(f"transaction {tx['tx_hash']} was journaled by another publisher") from exc
                assert inserted is not None
                batch_id = int(inserted[0])
            elif (
                earlier.state == "failed"
                and conn.execute(select(o.c.id).where(o.c.batch_id == earlier.id)).first() is None
            ):
                batch_id = int(earlier.id)
                conn.execute(
                    update(b)
                    .where(b.c.id == batch_id)
                    .values(op=op, state="signed", block_number=None, gas_used=None, error=None, **tx)
                )
            else:
                raise StoreCorrupt(
                    f"transaction {tx['tx_hash']} is journaled already, as batch {earlier.id} ({earlier.state})"
                )
            claimed = 0
            for ids in _id_conditions(o.c.id, op_ids):
                claimed += conn.execute(
                    update(o).where(and_(ids, o.c.state == "pending")).values(state="batched", batch_id=batch_id)
                ).rowcount
            if claimed != len(op_ids):
                raise StoreCorrupt(f"{len(op_ids) - claimed} outbox operations were claimed by another publisher")
            return batch_id

        return self._run("journal a batch", t, write=True)

    def open_batches(self) -> list[Batch]:
        """Journaled transactions not known to be mined yet, in nonce order."""

        def q(conn: Connection) -> list[Batch]:
            b = schema.batches
            rows = conn.execute(
                select(
                    b.c.id, b.c.op, b.c.sender, b.c.nonce, b.c.tx_hash, b.c.raw_tx, b.c.to_address, b.c.gas, b.c.state
                )
                .where(b.c.state == "signed")
                .order_by(b.c.nonce)
            ).all()
            return [Batch(*row) for row in rows]

        return self._run("read the batch journal", q)

    def batch_ops(self, batch_id: int) -> list[tuple[int, str, str, int, int | None]]:
        """(outbox id, op, record id, version, target status) of a batch's operations."""
        o = schema.outbox
        return self._run(
            "read a batch",
            lambda conn: [
                (r[0], r[1], r[2], r[3], r[4])
                for r in conn.execute(
                    select(o.c.id, o.c.op, o.c.record_id, o.c.version, o.c.target_status)
                    .where(o.c.batch_id == batch_id)
                    .order_by(o.c.id)
                )
            ],
        )

    def complete_batch(self, batch_id: int, *, block_number: int, gas_used: int) -> None:
        """Mark a mined batch done and its records anchored at the versions/statuses it wrote,
        unless a later operation on a record is done already (two publishers of one province
        may complete their batches in either order; the ledger applied them in outbox order)."""
        b, o, r = schema.batches, schema.outbox, schema.records
        later = schema.outbox.alias("later")
        superseded = (
            select(later.c.id)
            .where(and_(later.c.record_id == o.c.record_id, later.c.id > o.c.id, later.c.state == "done"))
            .exists()
        )

        def t(conn: Connection) -> None:
            conn.execute(
                update(b).where(b.c.id == batch_id).values(state="mined", block_number=block_number, gas_used=gas_used)
            )
            op = conn.execute(select(b.c.op).where(b.c.id == batch_id)).scalar_one()
            if op != "recognise":
                conn.execute(
                    update(r)
                    .where(and_(r.c.record_id == o.c.record_id, o.c.batch_id == batch_id, ~superseded))
                    .values(
                        anchored_version=o.c.version,
                        anchored_status=_anchored_status_sql(op, o.c.target_status),
                        block_number=block_number,
                    )
                )
            conn.execute(update(o).where(o.c.batch_id == batch_id).values(state="done"))

        self._run("complete a batch", t, write=True)

    def fail_batch(self, batch_id: int, *, error: str, failed_ops: Mapping[int, str]) -> None:
        """Record a failed or replaced transaction: the operations in ``failed_ops`` (outbox id →
        reason) fail for good, the batch's other operations go back to pending."""

        def t(conn: Connection) -> None:
            conn.execute(
                update(schema.batches).where(schema.batches.c.id == batch_id).values(state="failed", error=error)
            )
            for op_id, reason in failed_ops.items():
                conn.execute(
                    update(schema.outbox).where(schema.outbox.c.id == op_id).values(state="failed", error=reason)
                )
            conn.execute(
                update(schema.outbox)
                .where(and_(schema.outbox.c.batch_id == batch_id, schema.outbox.c.state == "batched"))
                .values(state="pending", batch_id=None)
            )

        self._run("record a failed batch", t, write=True)

    def sent_early(self, batch_id: int, *, block: int | None) -> bool:
        """Whether an operation of batch ``batch_id`` comes after an operation on the same
        record (in another batch) that was not on the ledger before block ``block``: pending,
        batched, or mined in ``block`` or later. The ledger may have refused the batch for want
        of it, and a replay of the batch at the block before cannot tell which operation it was."""
        o, e, eb = schema.outbox, schema.outbox.alias("earlier"), schema.batches.alias("earlier_batch")
        late: ColumnElement[bool] = e.c.state.in_(("pending", "batched"))
        if block is not None:
            mined_late = select(eb.c.id).where(and_(eb.c.id == e.c.batch_id, eb.c.block_number >= block)).exists()
            late = or_(late, and_(e.c.state == "done", mined_late))
        stmt = (
            select(e.c.id)
            .join(o, o.c.record_id == e.c.record_id)
            .where(
                and_(
                    o.c.batch_id == batch_id,
                    e.c.id < o.c.id,
                    or_(e.c.batch_id.is_(None), e.c.batch_id != batch_id),
                    late,
                )
            )
            .limit(1)
        )
        return self._run("read the outbox", lambda conn: conn.execute(stmt).first() is not None)

    def failed_ops(self) -> list[tuple[int, str, str, str]]:
        """(outbox id, op, record id, reason) of operations the ledger refused, in outbox order."""
        o = schema.outbox
        stmt = select(o.c.id, o.c.op, o.c.record_id, o.c.error).where(o.c.state == "failed").order_by(o.c.id)
        return self._run(
            "read failed operations", lambda conn: [(r[0], r[1], r[2], r[3] or "") for r in conn.execute(stmt)]
        )

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
_RECORD_SELECT_R = ", ".join(f"r.{c}" for c in RECORD_COLUMNS)


def _mark(conn: Connection) -> str:
    """The driver's parameter marker."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _id_conditions(column: ColumnElement[int], ids: Sequence[int]) -> list[ColumnElement[bool]]:
    """Conditions that together select ``ids``: one range when they are consecutive (a batch
    usually is one run of outbox ids), else ``IN`` lists of at most ``_IN_CHUNK``."""
    if ids and all(b - a == 1 for a, b in zip(ids, ids[1:], strict=False)):
        return [column.between(ids[0], ids[-1])]
    return [column.in_(chunk) for chunk in _chunks(ids)]


def _all(stmt: Any, conn: Connection) -> Sequence[Any]:
    return conn.execute(stmt).all()


def _set_cursor(conn: Connection, name: str, block: int) -> None:
    c = schema.cursors
    if conn.execute(update(c).where(c.c.name == name).values(block=block)).rowcount == 0:
        conn.execute(c.insert().values(name=name, block=block))


# EntryStatus values; kept here as ints so the store does not depend on the record model.
_PUBLISHED, _AMENDED = 1, 3
_SHARED_ENTRY = (1, 2, 3)  # PUBLISHED, DISPUTED, AMENDED
_RESULT_ACTIVE, _RESULT_REVOKED = 1, 2


def _anchored_status_sql(op: str, target: ColumnElement[Any]) -> ColumnElement[Any] | int:
    """The status a record has on the ledger once an operation of kind ``op`` is mined."""
    fixed = {"publish": _PUBLISHED, "amend": _AMENDED, "results": _RESULT_ACTIVE, "revoke": _RESULT_REVOKED}
    return fixed.get(op, target)


def _bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with one driver-level ``executemany`` (SQLAlchemy's per-row parameter
    processing costs more than the database's own work here)."""
    names = [c.name for c in table.columns if c.name in rows[0]]
    mark = _mark(conn)
    # table and column names come from the schema, never from data
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"  # noqa: S608
    values = itemgetter(*names)
    conn.exec_driver_sql(sql, [values(row) for row in rows] if len(names) > 1 else [(row[names[0]],) for row in rows])


def _insert_ops(conn: Connection, ops: list[dict[str, Any]]) -> list[int]:
    """Insert pending outbox operations; returns their ids in order.

    PostgreSQL: the ids are drawn from the table's sequence first and inserted with the rows.
    SQLite numbers each new row one past the largest id in the table, and the ``executemany``
    runs under the database's write lock, so its rows get consecutive ids ending at
    ``last_insert_rowid()`` (checked, not assumed).
    """
    n = len(ops)
    if conn.dialect.name == "postgresql":
        ids = sorted(
            int(row[0])
            for row in conn.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('outbox', 'id')) FROM generate_series(1, %s)", (n,)
            )
        )
        _bulk_insert(conn, schema.outbox, [{**op, "id": i, "state": "pending"} for i, op in zip(ids, ops, strict=True)])
        return ids
    _bulk_insert(conn, schema.outbox, [{**op, "state": "pending"} for op in ops])
    last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
    first = last - n + 1
    found = conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE id BETWEEN ? AND ?", (first, last)).scalar_one()
    if found != n:
        raise StoreCorrupt(f"the outbox did not number {n} new operations {first} to {last}")
    return list(range(first, last + 1))


def _group_by_columns(updates: Iterable[dict[str, Any]]) -> list[tuple[tuple[str, ...], list[dict[str, Any]]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for u in updates:
        cols = tuple(sorted(k for k in u if k != "record_id"))
        if not cols:
            continue
        groups.setdefault(cols, []).append(u)
    return list(groups.items())

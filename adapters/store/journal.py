"""The outbox of ledger writes and the batch journal: what the publisher works with.

An operation is pending in the outbox until a batch claims it; a batch's signed transaction is
journaled, with its claim, before it is sent; once mined the batch is complete and its records
anchored, and a failed or replaced one gives its operations back (or fails them for good).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from adapters.store import schema
from adapters.store.base import Database, bulk_insert, chunks
from adapters.store.errors import StoreCorrupt
from adapters.store.rows import (
    AMENDED,
    PUBLISHED,
    RECORD_COLUMNS,
    RESULT_ACTIVE,
    RESULT_REVOKED,
    Batch,
    OutboxOp,
    StoredRecord,
)


class OutboxJournal(Database):
    """The outbox and batch journal of a province store (``Store`` is one)."""

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


_RECORD_SELECT_R = ", ".join(f"r.{c}" for c in RECORD_COLUMNS)


def _id_conditions(column: ColumnElement[int], ids: Sequence[int]) -> list[ColumnElement[bool]]:
    """Conditions that together select ``ids``: one range when they are consecutive (a batch
    usually is one run of outbox ids), else ``IN`` lists of at most ``_IN_CHUNK``."""
    if ids and all(b - a == 1 for a, b in zip(ids, ids[1:], strict=False)):
        return [column.between(ids[0], ids[-1])]
    return [column.in_(chunk) for chunk in chunks(ids)]


def _anchored_status_sql(op: str, target: ColumnElement[Any]) -> ColumnElement[Any] | int:
    """The status a record has on the ledger once an operation of kind ``op`` is mined."""
    fixed = {"publish": PUBLISHED, "amend": AMENDED, "results": RESULT_ACTIVE, "revoke": RESULT_REVOKED}
    return fixed.get(op, target)


def insert_ops(conn: Connection, ops: list[dict[str, Any]]) -> list[int]:
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
        bulk_insert(conn, schema.outbox, [{**op, "id": i, "state": "pending"} for i, op in zip(ids, ops, strict=True)])
        return ids
    bulk_insert(conn, schema.outbox, [{**op, "state": "pending"} for op in ops])
    last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
    first = last - n + 1
    found = conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE id BETWEEN ? AND ?", (first, last)).scalar_one()
    if found != n:
        raise StoreCorrupt(f"the outbox did not number {n} new operations {first} to {last}")
    return list(range(first, last + 1))

"""The console's figures, each one SQL aggregate or one bounded read over the gateway database
(ledger index, audit checkpoints) or the province's store.

Whole-index aggregates (counts by province, list type, domain and status; publications per
block range) are kept until the index moves on, so a console left open costs one aggregate per
indexed block at most. Per-peer sync figures read only the events after the store's sync
cursor; recent events and checkpoints are read newest first with a limit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Engine, and_, case, func, or_, select
from sqlalchemy.exc import DBAPIError

from adapters.core.model import EntryStatus
from adapters.store import schema as store_schema
from gateway.db import run
from gateway.errors import ServiceUnavailable
from gateway.schema import audit_checkpoints, chain_blocks, chain_checkpoints, chain_events, chain_records

T = TypeVar("T")

PUBLICATIONS = ("EntryPublished", "ResultPublished")
CHANGES = ("EntryAmended", "EntryStatusChanged", "ResultRevoked", "ResultRecognised")
SYNC_CURSOR = "sync"  # adapters.pipeline.sync.CURSOR
RESULT_ACTIVE = 1
SHARED_ENTRY_STATUSES = tuple(int(s) for s in EntryStatus if s.shared)
MAX_SPAN_BLOCKS = 50_000  # the publications chart covers at most this many recent blocks


@dataclass(frozen=True, slots=True)
class CountRow:
    """Records of one province, kind, list type, domain and status on the ledger."""

    province: int
    kind: str
    list_type: int | None
    domain: int
    status: int
    count: int


@dataclass(frozen=True, slots=True)
class PeerBacklog:
    """Ledger events about one province's records that the store's syncer has not read yet."""

    province: int
    events: int
    oldest_block: int
    newest_block: int


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """Records in the province's store, by owning province."""

    own: dict[str, int]
    copies: dict[str, int]
    missing_content: dict[str, int]


@dataclass(frozen=True, slots=True)
class RecentEvent:
    block: int
    log_index: int
    time: int
    name: str
    record_id: str
    tx_hash: str
    args: dict[str, Any]
    province: int
    kind: str
    list_type: int | None
    domain: int


@dataclass(frozen=True, slots=True)
class Bucket:
    """Publications and other changes in blocks ``first`` to ``last``."""

    first: int
    last: int
    published: int
    changed: int


@dataclass(frozen=True, slots=True)
class AnchoredCheckpoint:
    index: int
    tree_size: int
    root: str
    anchored_at: int
    block: int
    tx_hash: str


class ConsoleQueries:
    """Reads for the console over the gateway database and the province's store."""

    def __init__(self, *, gateway_engine: Engine, store_engine: Engine) -> None:
        self._gateway = gateway_engine
        self._store = store_engine
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[int, Any]] = {}  # what -> (index block it was computed at, value)

    def _keep(self, what: str, block: int, compute: Callable[[], T]) -> T:
        with self._lock:
            kept = self._kept.get(what)
        if kept is not None and kept[0] == block:
            value: T = kept[1]
            return value
        value = compute()
        with self._lock:
            self._kept[what] = (block, value)
        return value

    # -- the ledger index ------------------------------------------------------------------

    def counts(self, *, block: int) -> list[CountRow]:
        """Indexed records grouped by province, kind, list type, domain and status."""
        r = chain_records
        cols = (r.c.province, r.c.kind, r.c.list_type, r.c.domain, r.c.status)
        stmt = select(*cols, func.count()).group_by(*cols)

        def q(conn: Connection) -> list[CountRow]:
            return [
                CountRow(int(p), str(k), None if lt is None else int(lt), int(d), int(s), int(n))
                for p, k, lt, d, s, n in conn.execute(stmt)
            ]

        return self._keep("counts", block, lambda: run(self._gateway, "count indexed records", q))

    def recent(self, names: Sequence[str], *, limit: int) -> list[RecentEvent]:
        """The newest indexed events named ``names``, newest first."""
        e, b, r = chain_events, chain_blocks, chain_records
        stmt = (
            select(
                e.c.block,
                e.c.log_index,
                b.c.time,
                e.c.name,
                e.c.record_id,
                e.c.tx_hash,
                e.c.args,
                r.c.province,
                r.c.kind,
                r.c.list_type,
                r.c.domain,
            )
            .join(b, b.c.number == e.c.block)
            .join(r, r.c.record_id == e.c.record_id)
            .where(e.c.name.in_(list(names)))
            .order_by(e.c.block.desc(), e.c.log_index.desc())
            .limit(limit)
        )

        def q(conn: Connection) -> list[RecentEvent]:
            return [
                RecentEvent(
                    block=int(row.block),
                    log_index=int(row.log_index),
                    time=int(row.time),
                    name=str(row.name),
                    record_id=str(row.record_id),
                    tx_hash=str(row.tx_hash),
                    args=orjson.loads(row.args),
                    province=int(row.province),
                    kind=str(row.kind),
                    list_type=None if row.list_type is None else int(row.list_type),
                    domain=int(row.domain),
                )
                for row in conn.execute(stmt)
            ]

        return run(self._gateway, "read recent events", q)

    def activity(self, *, block: int, buckets: int) -> list[Bucket]:
        """Publications and other changes per block range, in ``buckets`` equal ranges from
        the first indexed event (or ``MAX_SPAN_BLOCKS`` back) to ``block``."""

        def compute() -> list[Bucket]:
            e = chain_events

            def q(conn: Connection) -> list[Bucket]:
                first_event = conn.execute(select(func.min(e.c.block))).scalar()
                if first_event is None or block < int(first_event):
                    return []
                first = max(int(first_event), block - MAX_SPAN_BLOCKS + 1)
                width = -(-(block - first + 1) // buckets)  # ceiling division
                slot = ((e.c.block - first) // width).label("slot")
                published = func.sum(case((e.c.name.in_(PUBLICATIONS), 1), else_=0))
                stmt = (
                    select(slot, published, func.count())
                    .where(and_(e.c.block >= first, e.c.block <= block))
                    .group_by(slot)
                )
                found = {int(s): (int(p or 0), int(n)) for s, p, n in conn.execute(stmt)}
                out = []
                for i in range(-(-(block - first + 1) // width)):
                    pub, total = found.get(i, (0, 0))
                    lo = first + i * width
                    out.append(Bucket(lo, min(lo + width - 1, block), pub, total - pub))
                return out

            return run(self._gateway, "count events per block range", q)

        return self._keep(f"activity:{buckets}", block, compute)

    def backlog(self, *, after: int | None) -> list[PeerBacklog]:
        """Per owning province, the indexed events about its records in blocks after
        ``after`` (the store's sync cursor; None: every event)."""
        e, r = chain_events, chain_records
        stmt = (
            select(r.c.province, func.count(), func.min(e.c.block), func.max(e.c.block))
            .join(r, r.c.record_id == e.c.record_id)
            .where(e.c.block > (-1 if after is None else after))
            .group_by(r.c.province)
        )

        def q(conn: Connection) -> list[PeerBacklog]:
            return [PeerBacklog(int(p), int(n), int(lo), int(hi)) for p, n, lo, hi in conn.execute(stmt)]

        return run(self._gateway, "read the sync backlog", q)

    def checkpoints(self, stream_id: bytes, *, limit: int) -> tuple[int, list[AnchoredCheckpoint]]:
        """How many checkpoints the stream has on the ledger, and the newest ``limit``, newest
        first."""
        c = chain_checkpoints
        sid = "0x" + stream_id.hex()
        newest = (
            select(c.c.idx, c.c.tree_size, c.c.root, c.c.anchored_at, c.c.block, c.c.tx_hash)
            .where(c.c.stream_id == sid)
            .order_by(c.c.idx.desc())
            .limit(limit)
        )

        def q(conn: Connection) -> tuple[int, list[AnchoredCheckpoint]]:
            rows = [
                AnchoredCheckpoint(int(i), int(s), str(root), int(at), int(b), str(tx))
                for i, s, root, at, b, tx in conn.execute(newest)
            ]
            count = rows[0].index + 1 if rows else 0  # indexes run from 0 without gaps
            return count, rows

        return run(self._gateway, "read anchored checkpoints", q)

    def checkpoint_journal(self) -> dict[str, int]:
        """This gateway's checkpoint journal by state (pending, anchored, covered)."""
        c = audit_checkpoints
        stmt = select(c.c.state, func.count()).group_by(c.c.state)
        return run(
            self._gateway,
            "read the checkpoint journal",
            lambda conn: {str(state): int(n) for state, n in conn.execute(stmt)},
        )

    # -- the province's store --------------------------------------------------------------

    def store_counts(self) -> StoreCounts:
        """Own records and synced copies by owning province, and the copies still waiting for
        the content of their current version."""
        r, v = store_schema.records, store_schema.versions
        by_origin = select(r.c.origin, r.c.province, func.count()).group_by(r.c.origin, r.c.province)
        shared = or_(
            and_(r.c.kind == "list-entry", r.c.status.in_(SHARED_ENTRY_STATUSES)),
            and_(r.c.kind == "evaluation", r.c.status == RESULT_ACTIVE),
        )
        missing = (
            select(r.c.province, func.count())
            .join(v, and_(r.c.record_id == v.c.record_id, r.c.version == v.c.version))
            .where(and_(r.c.origin == "synced", v.c.record.is_(None), shared))
            .group_by(r.c.province)
        )

        def q(conn: Connection) -> StoreCounts:
            own: dict[str, int] = {}
            copies: dict[str, int] = {}
            for origin, province, n in conn.execute(by_origin):
                (own if origin == "own" else copies)[str(province)] = int(n)
            return StoreCounts(own, copies, {str(p): int(n) for p, n in conn.execute(missing)})

        return _read_store(self._store, "count the store's records", q)

    def sync_cursor(self) -> int | None:
        """The last block the province's syncer has fully processed."""
        c = store_schema.cursors
        stmt = select(c.c.block).where(c.c.name == SYNC_CURSOR)
        row = _read_store(self._store, "read the sync cursor", lambda conn: conn.execute(stmt).first())
        return None if row is None else int(row[0])


def _read_store(engine: Engine, what: str, fn: Callable[[Connection], T]) -> T:
    try:
        with engine.connect() as conn:
            return fn(conn)
    except DBAPIError as exc:
        raise ServiceUnavailable(f"province store: {what}: {type(exc.orig or exc).__name__}") from exc

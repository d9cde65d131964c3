"""``LedgerIndex``: the ledger as the gateway has followed it, read from the gateway database.

``LedgerIndex.view()`` answers the read methods of ``adapters.chain.view.LedgerView`` that
verification uses (``entry``, ``result``, ``history``, ``block_time``, ``members``,
``recognised_grade``) from the index instead of JSON-RPC calls, so that
``adapters.chain.verify.verify_package`` gives the same verdict from either. A record's state,
events, block times and recognitions are read in one go and kept in a bounded cache; the
follower invalidates what each page changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, delete, select, update

from adapters.chain.view import EntryState, LedgerView, ResultState
from gateway.audit.check import Checkpoint
from gateway.db import run
from gateway.schema import (
    chain_blocks,
    chain_checkpoints,
    chain_cursor,
    chain_events,
    chain_members,
    chain_recognitions,
    chain_records,
)
from node.events import LedgerEvent

CURSOR = "index"
ENTRY_EVENTS = frozenset({"EntryPublished", "EntryAmended", "EntryStatusChanged"})
RESULT_EVENTS = frozenset({"ResultPublished", "ResultRevoked", "ResultRecognised"})
RESULT_ACTIVE, RESULT_REVOKED = 1, 2
STATUS_AMENDED = 3
_IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class IndexedRecord:
    """One entry or result as the index holds it."""

    record_id: str
    kind: str  # list-entry | evaluation
    province: int
    subject_tag: str
    status: int
    version: int
    domain: int
    list_type: int | None
    scheme_id: int | None
    grade: int | None
    valid_from: int
    valid_until: int
    updated_at: int
    events: tuple[LedgerEvent, ...]
    times: dict[int, int]
    recognitions: dict[int, tuple[int, int]]  # province -> (YRD grade, agreement version)

    def entry_state(self) -> EntryState:
        return EntryState(
            self.province,
            self.list_type or 0,
            self.status,
            self.domain,
            self.version,
            self.valid_from,
            self.valid_until,
            self.updated_at,
        )

    def result_state(self) -> ResultState:
        return ResultState(
            self.province,
            self.status,
            self.domain,
            self.scheme_id or 0,
            self.grade or 0,
            self.valid_from,
            self.valid_until,
        )


@dataclass(frozen=True, slots=True)
class IndexCursor:
    """How far the index has read: every block up to ``block`` (whose time is ``time``)."""

    block: int
    time: int


class LedgerIndex:
    """Reads (and, for the follower, writes) the ledger index in the gateway database."""

    def __init__(self, *, engine: Engine, cache_size: int = 100_000) -> None:
        self._engine = engine
        self._cache: OrderedDict[str, IndexedRecord | None] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._generation = 0
        self._members: list[int] | None = None
        self._cursor: IndexCursor | None = self._read_cursor()
        self.head: int | None = None  # the newest head the follower saw

    # -- reading ----------------------------------------------------------------------------

    @property
    def cursor(self) -> IndexCursor | None:
        return self._cursor

    def record(self, record_id: str) -> IndexedRecord | None:
        """The indexed record ``record_id`` (0x hex), or None when the ledger has none."""
        with self._lock:
            if record_id in self._cache:
                self._cache.move_to_end(record_id)
                return self._cache[record_id]
            generation = self._generation
        found = self.records([record_id]).get(record_id)
        with self._lock:
            if generation == self._generation:
                self._cache[record_id] = found
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return found

    def cached(self, record_id: str) -> bool:
        """Whether ``record`` would answer from memory."""
        with self._lock:
            return record_id in self._cache

    def records(self, record_ids: Sequence[str]) -> dict[str, IndexedRecord]:
        """Several indexed records, read from the database (not the cache)."""
        return run(self._engine, "read the ledger index", lambda conn: _load(conn, record_ids))

    def records_by_tags(self, subject_tags: Sequence[str]) -> list[IndexedRecord]:
        """Every entry and result published under one of ``subject_tags``, oldest first."""
        r = chain_records

        def q(conn: Connection) -> list[IndexedRecord]:
            ids = [row[0] for row in conn.execute(select(r.c.record_id).where(r.c.subject_tag.in_(list(subject_tags))))]
            found = _load(conn, ids)
            return sorted(found.values(), key=lambda rec: rec.events[0].position if rec.events else (0, 0))

        return run(self._engine, "read the ledger index", q)

    def members(self) -> list[int]:
        if self._members is None:
            rows = run(
                self._engine,
                "read members",
                lambda conn: conn.execute(select(chain_members.c.code).order_by(chain_members.c.code)).all(),
            )
            self._members = [int(r[0]) for r in rows]
        return list(self._members)

    def checkpoints(self, stream_id: bytes, start: int, limit: int) -> list[Checkpoint]:
        """Anchored checkpoints of a stream, from index ``start`` on."""
        c = chain_checkpoints
        stmt = (
            select(c.c.idx, c.c.tree_size, c.c.root, c.c.anchored_at, c.c.block, c.c.tx_hash)
            .where(and_(c.c.stream_id == "0x" + stream_id.hex(), c.c.idx >= start))
            .order_by(c.c.idx)
            .limit(limit)
        )
        rows = run(self._engine, "read checkpoints", lambda conn: conn.execute(stmt).all())
        return [
            Checkpoint(
                index=int(i), tree_size=int(s), root=bytes.fromhex(r[2:]), anchored_at=int(at), block=int(b), tx_hash=tx
            )
            for i, s, r, at, b, tx in rows
        ]

    def block_time(self, number: int) -> int:
        """The time of a block that holds an indexed event (0 for any other block)."""
        b = chain_blocks
        row = run(
            self._engine,
            "read a block time",
            lambda conn: conn.execute(select(b.c.time).where(b.c.number == number)).first(),
        )
        return int(row[0]) if row else 0

    def view(self) -> IndexView:
        """A ``LedgerView`` stand-in answering from the index as it is now."""
        return IndexView(self)

    # -- writing (the follower) -------------------------------------------------------------

    def apply(self, events: Sequence[LedgerEvent], *, to_block: int, to_time: int, times: dict[int, int]) -> None:
        """Fold one page of events into the index and move the cursor to ``to_block``, in one
        transaction; then forget the cached copies of what changed."""
        touched: set[str] = set()

        def tx(conn: Connection) -> None:
            touched.update(_apply(conn, events, times))
            _set_cursor(conn, to_block, to_time)

        run(self._engine, "update the ledger index", tx, write=True)
        members_changed = any(e.name in ("MemberAdded", "MemberRemoved") for e in events)
        with self._lock:
            self._generation += 1
            for rid in touched:
                self._cache.pop(rid, None)
            if members_changed:
                self._members = None
            self._cursor = IndexCursor(to_block, to_time)

    def _read_cursor(self) -> IndexCursor | None:
        c = chain_cursor
        row = run(
            self._engine,
            "read the index cursor",
            lambda conn: conn.execute(select(c.c.block, c.c.time).where(c.c.name == CURSOR)).first(),
        )
        return IndexCursor(int(row[0]), int(row[1])) if row else None


class IndexView:
    """The read methods of ``LedgerView`` that verification uses, answered by a ``LedgerIndex``."""

    def __init__(self, index: LedgerIndex) -> None:
        self._index = index
        self.as_of = index.cursor
        self._times: dict[int, int] = {}

    def _record(self, record_id: bytes) -> IndexedRecord | None:
        rec = self._index.record("0x" + record_id.hex())
        if rec is not None:
            self._times.update(rec.times)
        return rec

    def entry(self, entry_id: bytes) -> EntryState | None:
        rec = self._record(entry_id)
        return rec.entry_state() if rec is not None and rec.kind == "list-entry" else None

    def result(self, result_id: bytes) -> ResultState | None:
        rec = self._record(result_id)
        return rec.result_state() if rec is not None and rec.kind == "evaluation" else None

    def history(self, record_id: bytes, *, kind: str = "list-entry") -> list[LedgerEvent]:
        rec = self._record(record_id)
        if rec is None or rec.kind != kind:
            return []
        return list(rec.events)

    def block_time(self, number: int) -> int:
        if number in self._times:  # the common case: a block of a record this view has read
            return self._times[number]
        return self._index.block_time(number)

    def members(self) -> list[int]:
        return self._index.members()

    def recognised_grade(self, result_id: bytes, province: int) -> tuple[bool, int, int]:
        """As ``Evaluations.recognisedGrade``: recognised only while the result is active and
        valid at the index's newest block."""
        rec = self._record(result_id)
        if rec is None or province not in rec.recognitions:
            return False, 0, 0
        grade, version = rec.recognitions[province]
        now = self.as_of.time if self.as_of else 0
        expired = rec.valid_until != 0 and now >= rec.valid_until
        if rec.status != RESULT_ACTIVE or expired:
            return False, 0, version
        return True, grade, version

    def as_ledger_view(self) -> LedgerView:
        """This view where ``verify_package`` expects a ``LedgerView`` (it calls only the
        methods above)."""
        return self  # type: ignore[return-value]


# -- loading ----------------------------------------------------------------------------------


def _load(conn: Connection, record_ids: Iterable[str]) -> dict[str, IndexedRecord]:
    ids = sorted(set(record_ids))
    out: dict[str, IndexedRecord] = {}
    r, e, b, g = chain_records, chain_events, chain_blocks, chain_recognitions
    for i in range(0, len(ids), _IN_CHUNK):
        chunk = ids[i : i + _IN_CHUNK]
        rows = {row.record_id: row for row in conn.execute(select(r).where(r.c.record_id.in_(chunk)))}
        if not rows:
            continue
        events: dict[str, list[LedgerEvent]] = {}
        times: dict[int, int] = {}
        stmt = (
            select(e, b.c.time)
            .join(b, b.c.number == e.c.block)
            .where(e.c.record_id.in_(list(rows)))
            .order_by(e.c.block, e.c.log_index)
        )
        for ev in conn.execute(stmt):
            events.setdefault(ev.record_id, []).append(
                LedgerEvent(
                    contract=ev.contract,
                    name=ev.name,
                    block_number=int(ev.block),
                    tx_index=int(ev.tx_index),
                    log_index=int(ev.log_index),
                    tx_hash=ev.tx_hash,
                    args=orjson.loads(ev.args),
                )
            )
            times[int(ev.block)] = int(ev.time)
        recognitions: dict[str, dict[int, tuple[int, int]]] = {}
        for rg in conn.execute(select(g).where(g.c.result_id.in_(list(rows)))):
            recognitions.setdefault(rg.result_id, {})[int(rg.province)] = (int(rg.yrd_grade), int(rg.agreement_version))
        for rid, row in rows.items():
            evs = events.get(rid, [])
            out[rid] = IndexedRecord(
                record_id=rid,
                kind=row.kind,
                province=int(row.province),
                subject_tag=row.subject_tag,
                status=int(row.status),
                version=int(row.version),
                domain=int(row.domain),
                list_type=None if row.list_type is None else int(row.list_type),
                scheme_id=None if row.scheme_id is None else int(row.scheme_id),
                grade=None if row.grade is None else int(row.grade),
                valid_from=int(row.valid_from),
                valid_until=int(row.valid_until),
                updated_at=int(row.updated_at),
                events=tuple(evs),
                times={ev.block_number: times[ev.block_number] for ev in evs},
                recognitions=recognitions.get(rid, {}),
            )
    return out


# -- folding a page ---------------------------------------------------------------------------


def _apply(conn: Connection, events: Sequence[LedgerEvent], times: dict[int, int]) -> set[str]:
    """Write one page's events; returns the record ids whose state or history changed."""
    r = chain_records
    record_events = [e for e in events if e.name in ENTRY_EVENTS or e.name in RESULT_EVENTS]
    ids = sorted({_rid(e) for e in record_events})
    existing: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), _IN_CHUNK):
        for found in conn.execute(select(r).where(r.c.record_id.in_(ids[i : i + _IN_CHUNK]))):
            existing[found.record_id] = dict(found._mapping)
    changed: dict[str, dict[str, Any]] = {}
    new: dict[str, dict[str, Any]] = {}
    recognitions: dict[tuple[str, int], tuple[int, int]] = {}
    for e in record_events:
        rid, a, at = _rid(e), e.args, times[e.block_number]
        if e.name == "EntryPublished":
            new[rid] = {
                "record_id": rid,
                "kind": "list-entry",
                "province": a["province"],
                "subject_tag": a["subjectTag"],
                "list_type": a["listType"],
                "status": 1,
                "domain": a["domain"],
                "version": 1,
                "valid_from": a["validFrom"],
                "valid_until": a["validUntil"],
                "updated_at": at,
                "scheme_id": None,
                "grade": None,
            }
            continue
        if e.name == "ResultPublished":
            new[rid] = {
                "record_id": rid,
                "kind": "evaluation",
                "province": a["province"],
                "subject_tag": a["subjectTag"],
                "list_type": None,
                "status": RESULT_ACTIVE,
                "domain": a["domain"],
                "version": 1,
                "valid_from": a["evaluatedAt"],
                "valid_until": a["validUntil"],
                "updated_at": at,
                "scheme_id": a["schemeId"],
                "grade": a["grade"],
            }
            continue
        if e.name == "ResultRecognised":
            recognitions[(rid, a["province"])] = (a["yrdGrade"], a["agreementVersion"])
            continue
        row = new.get(rid) or changed.get(rid) or existing.get(rid)
        if row is None:  # an event about a record published before the index's start: skip
            continue
        row = dict(row)
        if e.name == "EntryAmended":
            row.update(
                version=a["version"],
                status=STATUS_AMENDED,
                valid_from=a["validFrom"],
                valid_until=a["validUntil"],
                updated_at=at,
            )
        elif e.name == "EntryStatusChanged":
            row.update(status=a["status"], updated_at=at)
        elif e.name == "ResultRevoked":
            row.update(status=RESULT_REVOKED)
        if rid in new:
            new[rid] = row
        else:
            changed[rid] = row
    if new:
        conn.execute(r.insert(), list(new.values()))
    for rid, row in changed.items():
        conn.execute(update(r).where(r.c.record_id == rid).values({k: v for k, v in row.items() if k != "record_id"}))
    if record_events:
        conn.execute(
            chain_events.insert(),
            [
                {
                    "block": e.block_number,
                    "log_index": e.log_index,
                    "record_id": _rid(e),
                    "tx_index": e.tx_index,
                    "tx_hash": e.tx_hash,
                    "contract": e.contract,
                    "name": e.name,
                    "args": orjson.dumps(e.args).decode("utf-8"),
                }
                for e in record_events
            ],
        )
        blocks = sorted({e.block_number for e in record_events})
        known = {
            int(n) for (n,) in conn.execute(select(chain_blocks.c.number).where(chain_blocks.c.number.in_(blocks)))
        }
        fresh = [{"number": n, "time": times[n]} for n in blocks if n not in known]
        if fresh:
            conn.execute(chain_blocks.insert(), fresh)
    g = chain_recognitions
    for (rid, province), (grade, version) in recognitions.items():
        conn.execute(delete(g).where(and_(g.c.result_id == rid, g.c.province == province)))
        conn.execute(g.insert().values(result_id=rid, province=province, yrd_grade=grade, agreement_version=version))
    for e in events:
        if e.name == "MemberAdded":
            conn.execute(delete(chain_members).where(chain_members.c.code == e.args["code"]))
            conn.execute(chain_members.insert().values(code=e.args["code"]))
        elif e.name == "MemberRemoved":
            conn.execute(delete(chain_members).where(chain_members.c.code == e.args["code"]))
        elif e.name == "CheckpointAnchored":
            a = e.args
            conn.execute(
                chain_checkpoints.insert().values(
                    stream_id=a["streamId"],
                    idx=a["index"],
                    owner=a["owner"],
                    tree_size=a["treeSize"],
                    root=a["root"],
                    anchored_at=a["anchoredAt"],
                    block=e.block_number,
                    tx_hash=e.tx_hash,
                )
            )
    return set(ids)


def _rid(e: LedgerEvent) -> str:
    return str(e.args.get("entryId") or e.args.get("resultId"))


def _set_cursor(conn: Connection, block: int, time: int) -> None:
    c = chain_cursor
    if conn.execute(update(c).where(c.c.name == CURSOR).values(block=block, time=time)).rowcount == 0:
        conn.execute(c.insert().values(name=CURSOR, block=block, time=time))

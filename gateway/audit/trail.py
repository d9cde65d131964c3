"""``AuditTrail``: the append-only audit log of one gateway, with group commit.

Requests hand in drafts with ``submit`` and get a future. One writer thread takes whatever has
queued up (at most ``max_batch``), numbers the events, inserts them and the Merkle subtree
hashes they complete in one transaction, commits, and only then resolves the futures: a
response waits for its event to be durable, while concurrent requests share one commit. Under
load the queue fills while the writer commits the batch before, so batches grow by themselves;
``gather_ms`` (0 by default) makes the writer wait that long for company before each batch,
which trades latency for fewer commits where commits are dear (a slow disk, a remote database).
Proofs and reads cover the committed part of the log only.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, func, select

from gateway.audit.events import AuditDraft, leaf_bytes
from gateway.audit.nodes import SqlNodeStore
from gateway.db import insert_many, run
from gateway.errors import AuditLogMismatch, AuditUnavailable, NotFound, Unprocessable
from gateway.schema import audit_events
from node.merkle import MerkleLog, leaf_hash

log = logging.getLogger(__name__)

_STOP = None
_EVENT_COLUMNS = ("seq", "time_ms", "client_id", "role", "endpoint", "subject_tag", "status", "leaf")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One committed event: its position and its leaf (canonical JSON text)."""

    seq: int
    leaf: str


# a thread's future, or an event loop and a future of that loop
_Waiter = Future[int] | tuple[asyncio.AbstractEventLoop, "asyncio.Future[int]"]


def _settle(outcomes: Sequence[tuple[_Waiter, int | Exception]]) -> None:
    """Resolve waiters: thread futures at once, loop futures in one callback per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], int | Exception]]] = {}
    for waiter, outcome in outcomes:
        if isinstance(waiter, Future):
            if isinstance(outcome, Exception):
                waiter.set_exception(outcome)
            else:
                waiter.set_result(outcome)
        else:
            by_loop.setdefault(waiter[0], []).append((waiter[1], outcome))
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_on_loop, items)
        except RuntimeError:  # the loop closed: nobody waits any more
            pass


def _settle_on_loop(items: list[tuple[asyncio.Future[int], int | Exception]]) -> None:
    for future, outcome in items:
        if future.done():  # the request was cancelled (client gone)
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class AuditTrail:
    """The audit log in the gateway database; one writer thread, any number of readers."""

    def __init__(self, *, engine: Engine, gateway_id: str, max_batch: int = 512, gather_ms: float = 0.0) -> None:
        self._engine = engine
        self._gateway = gateway_id
        self._max_batch = max_batch
        self._gather = gather_ms / 1000
        self._nodes = SqlNodeStore(engine=engine)
        self._log = self._open_log()
        self._committed = self._log.size
        self._queue: queue.SimpleQueue[tuple[AuditDraft, _Waiter] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None  # the writer thread's own
        self._listeners: list[Callable[[int, int], None]] = []
        self.batches = 0

    # -- writing ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"audit-{self._gateway}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Commit what is queued, then stop the writer thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout=30)
        self._thread = None

    def add_listener(self, listener: Callable[[int, int], None]) -> None:
        """Call ``listener(size, events)`` after each commit, from the writer thread."""
        self._listeners.append(listener)

    def submit(self, draft: AuditDraft) -> Future[int]:
        """Queue an event; the future resolves to its position once it is committed, or fails
        with ``AuditUnavailable``."""
        future: Future[int] = Future()
        if self._thread is None:
            future.set_exception(AuditUnavailable("the audit trail is not running"))
            return future
        self._queue.put((draft, future))
        return future

    async def record(self, draft: AuditDraft) -> int:
        """Queue an event from a coroutine and wait until it is committed; its position, or
        ``AuditUnavailable``. The writer wakes each event loop once per commit, not once per
        event."""
        if self._thread is None:
            raise AuditUnavailable("the audit trail is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._queue.put((draft, (loop, future)))
        return await future

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            # gather (if asked to) by sleeping, not by waiting on the queue: a wait wakes this
            # thread (and takes the GIL from the event loop) for every event that arrives
            if self._gather:
                time.sleep(self._gather)
            batch = [item]
            stopping = False
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                batch.append(nxt)
            self._write(batch)
            if stopping:
                return

    def _write(self, batch: Sequence[tuple[AuditDraft, _Waiter]]) -> None:
        first = self._log.size
        rows: list[tuple[object, ...]] = []
        hashes: list[bytes] = []
        for i, (draft, _) in enumerate(batch):
            leaf = leaf_bytes(draft.event(first + i, self._gateway))
            hashes.append(leaf_hash(leaf))
            rows.append(
                (
                    first + i,
                    int(draft.time.timestamp() * 1000),
                    draft.client,
                    draft.role,
                    draft.endpoint[:128],
                    draft.subject_tag,
                    draft.status,
                    leaf.decode("utf-8"),
                )
            )
        try:
            # the writer keeps one connection: checking one out of the pool per batch costs
            # more than the batch's own statements
            if self._conn is None:
                self._conn = self._engine.connect()
            conn = self._conn
            with conn.begin(), self._nodes.writing(conn):
                insert_many(conn, audit_events, _EVENT_COLUMNS, rows)
                self._log.extend(hashes)
        except Exception as exc:  # noqa: BLE001 - every failure fails the batch, never the thread
            log.error("audit batch of %d events not committed: %s", len(batch), exc)
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            try:
                self._nodes.reload()
                self._log = self._open_log()
            except Exception as reopen:  # noqa: BLE001
                log.error("audit log cannot be reopened: %s", reopen)
            failure = AuditUnavailable("the audit trail cannot record this request")
            _settle([(waiter, failure) for _, waiter in batch])
            return
        self._committed = self._log.size
        self.batches += 1
        _settle([(waiter, first + i) for i, (_, waiter) in enumerate(batch)])
        for listener in self._listeners:
            try:
                listener(self._committed, len(batch))
            except Exception as exc:  # noqa: BLE001 - a listener must not stop the writer
                log.warning("audit listener failed: %s", exc)

    def _open_log(self) -> MerkleLog:
        def open_(conn: Connection) -> MerkleLog:
            events = conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
            with self._nodes.writing(conn):
                merkle = MerkleLog(store=self._nodes)
            if merkle.size != events:
                raise AuditLogMismatch(f"the audit log holds {events} events but {merkle.size} leaf hashes")
            return merkle

        return run(self._engine, "open the audit log", open_, write=True)

    # -- reading ----------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """How many events are committed."""
        return self._committed

    @property
    def log(self) -> MerkleLog:
        return self._log

    def root(self, size: int | None = None) -> bytes:
        return self._log.root(self._committed if size is None else self._check_size(size))

    def leaf_hash(self, index: int) -> bytes:
        self._check_index(index, self._committed)
        return self._log.leaf(index)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        self._check_index(index, self._check_size(size))
        return self._log.inclusion_proof(index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        self._check_size(second)
        return self._log.consistency_proof(first, second)

    def events(self, start: int, limit: int) -> list[StoredEvent]:
        """Committed events from position ``start`` on, at most ``limit``."""
        e = audit_events
        stmt = (
            select(e.c.seq, e.c.leaf)
            .where(and_(e.c.seq >= start, e.c.seq < self._committed))
            .order_by(e.c.seq)
            .limit(limit)
        )
        return run(self._engine, "read audit events", lambda c: [StoredEvent(int(s), lf) for s, lf in c.execute(stmt)])

    def events_about(self, subject_tags: Sequence[str], start: int, limit: int) -> list[StoredEvent]:
        """Committed events that name one of ``subject_tags``, from position ``start`` on."""
        e = audit_events
        stmt = (
            select(e.c.seq, e.c.leaf)
            .where(and_(e.c.subject_tag.in_(list(subject_tags)), e.c.seq >= start, e.c.seq < self._committed))
            .order_by(e.c.seq)
            .limit(limit)
        )
        return run(self._engine, "read audit events", lambda c: [StoredEvent(int(s), lf) for s, lf in c.execute(stmt)])

    def iter_leaves(self, *, batch: int = 5_000) -> Iterator[bytes]:
        """Every committed leaf in order, read in pages (for checks against checkpoints)."""
        start, end = 0, self._committed
        while start < end:
            rows = self.events(start, min(batch, end - start))
            if not rows:
                return
            for row in rows:
                yield row.leaf.encode("utf-8")
            start = rows[-1].seq + 1

    def _check_size(self, size: int) -> int:
        if not 0 <= size <= self._committed:
            raise NotFound(f"the audit log has {self._committed} events; there is no tree of size {size}")
        return size

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise Unprocessable(f"expected a leaf index in [0, {size}), found {index}")

"""One publishing process per province store at a time.

Every process that publishes a province's outbox signs with the province's key, so two at once
would draw the same nonces: one's transactions would be refused or replaced by the other's, and
their operations sent again. The batch journal keeps that from publishing anything twice, but the
two should not race at all. The store's publisher lock keeps them apart: a process holds it
while it publishes; another waits for it (``yrdx adapter sync`` while an ingest runs) or, given
a time limit, gives up with ``StoreBusy``.

The lock dies with the process that holds it, however that process stops, so a killed ingest
never leaves it taken:

* SQLite: an exclusive ``flock(2)`` on ``<database file>.publisher`` (which names the holder's
  process id);
* PostgreSQL: a session-level advisory lock keyed by the store's schema, held on a connection
  of its own.

Within one process the lock is re-entrant and shared by every ``Store`` of the same database:
the threads of one process publish through one publisher per province.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from adapters.store.errors import StoreUnavailable, store_error

log = logging.getLogger(__name__)

POLL_S = 0.1  # between attempts while another process holds the lock
NOTICE_EVERY_S = 30.0  # how often a waiting process says so again


class StoreBusy(StoreUnavailable):
    """Another process holds the store's publisher lock."""


class _Hold:
    """This process's hold on one store's lock: how many users, whether a thread is taking it
    (waiting for another process to let go), and how to let go."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.users = 0
        self.taking = False
        self.release: Callable[[], None] | None = None


_HOLDS: dict[str, _Hold] = {}
_HOLDS_GUARD = threading.Lock()


@contextlib.contextmanager
def publisher_lock(engine: Engine, *, wait: float | None = None) -> Iterator[bool]:
    """Hold ``engine``'s store's publisher lock for the block; wait at most ``wait`` seconds
    (None: as long as it takes) for another process to let go.

    Yields whether this block took the lock (rather than joining a hold of this process):
    another process may have published for the province since this one last held it. While
    one thread of the process waits to take it, the others wait for that thread, each no
    longer than its own ``wait``.
    """
    name = engine.url.render_as_string(hide_password=True)
    started = time.monotonic()
    deadline = None if wait is None else started + wait
    with _HOLDS_GUARD:
        hold = _HOLDS.setdefault(name, _Hold())
    with hold.changed:
        while hold.taking:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise StoreBusy(f"store {name}: another thread of this process is waiting for the publisher lock")
            hold.changed.wait(left)
        taking = hold.users == 0
        if taking:
            hold.taking = True
        else:
            hold.users += 1
    if taking:
        try:
            release = _take(engine, name, started, wait)
        except BaseException:
            with hold.changed:
                hold.taking = False
                hold.changed.notify_all()
            raise
        with hold.changed:
            hold.release, hold.users, hold.taking = release, 1, False
            hold.changed.notify_all()
    try:
        yield taking
    finally:
        with hold.changed:
            hold.users -= 1
            if hold.users == 0 and hold.release is not None:
                release, hold.release = hold.release, None
                release()


def _take(engine: Engine, name: str, started: float, wait: float | None) -> Callable[[], None]:
    """Take the lock from other processes, giving up ``wait`` seconds after ``started``."""
    if engine.dialect.name == "postgresql":
        return _take_advisory(engine, name, started, wait)
    database = engine.url.database
    if not database or database == ":memory:":
        return lambda: None  # a database no other process can open
    return _take_file(Path(database + ".publisher"), name, started, wait)


def _waiting(name: str, holder: str, started: float, wait: float | None, noticed: list[float]) -> None:
    """Give up once ``wait`` has passed; now and then, say whom this process waits for."""
    now = time.monotonic()
    if wait is not None and now - started >= wait:
        raise StoreBusy(f"store {name}: {holder} is publishing for this province; gave up after {wait:g} s")
    if not noticed or now - noticed[-1] >= NOTICE_EVERY_S:
        log.warning("store %s: waiting for %s, which is publishing for this province", name, holder)
        noticed.append(now)
    time.sleep(POLL_S)


def _take_file(path: Path, name: str, started: float, wait: float | None) -> Callable[[], None]:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreUnavailable(f"store {name}: cannot open its publisher lock {path}: {exc.strerror}") from exc
    noticed: list[float] = []
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                _waiting(name, f"process {holder}" if holder else "another process", started, wait, noticed)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except BaseException:
        os.close(fd)
        raise

    def release() -> None:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    return release


_KEY = "hashtext('yrdx-publisher:' || current_schema())"  # one lock per store schema
_TRY = text(f"SELECT pg_try_advisory_lock({_KEY})")  # noqa: S608 - no data in these
_HOLDER = text(  # the session holding it: a bigint key's low 32 bits are the lock's objid
    f"SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND objid::bigint = ({_KEY}::bigint & 4294967295) LIMIT 1"  # noqa: E501, S608
)
_UNLOCK = text(f"SELECT pg_advisory_unlock({_KEY})")  # noqa: S608


def _take_advisory(engine: Engine, name: str, started: float, wait: float | None) -> Callable[[], None]:
    try:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except DBAPIError as exc:
        raise store_error(exc, f"store {name}: take the publisher lock") from exc
    noticed: list[float] = []
    try:
        while not conn.execute(_TRY).scalar_one():
            holder = conn.execute(_HOLDER).scalar()
            _waiting(name, f"database session {holder}" if holder else "another session", started, wait, noticed)
    except DBAPIError as exc:
        conn.close()
        raise store_error(exc, f"store {name}: take the publisher lock") from exc
    except BaseException:
        conn.close()
        raise

    def release() -> None:
        try:
            conn.execute(_UNLOCK)
        finally:
            conn.close()

    return release

"""A province store that cannot be written while an ingest runs: locked by another connection
(both backends) or full (SQLite, through ``PRAGMA max_page_count``). The command stops with exit
code 1 and one line naming the store and the reason; nothing is written partly — every stored
record has its outbox operation and its version, every journaled batch its claimed operations;
and once the lock is released or space is freed, the same command completes with every valid
record on the ledger exactly once."""

from __future__ import annotations

import collections
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

import adapters.store.db as store_db
from adapters.core.provinces import Province
from adapters.store import Store
from adapters.synthetic import generate
from tests.adapters.conftest import StoreFactory
from tests.adapters.pipeline.support import REPO, Net, file_name, read_valid
from yrdx.context import DataDir, init_development

pytestmark = [pytest.mark.faults, pytest.mark.ledger, pytest.mark.slow]

PROVINCE = Province.ZJ
ENTRIES = 11_000  # chunks of 5,000: the lock comes while the second is planned
WAIT = 180.0


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    path = tmp_path / file_name(PROVINCE, "entries")
    generate(PROVINCE, "entries", ENTRIES, path, seed=71, invalid_share=0.01)
    return path, read_valid(PROVINCE, "entries", path)


def _partial_writes(store: Store) -> dict[str, int]:
    """Rows that only part of a store transaction could have left: own records without their
    outbox operation or their current version, and journaled batches without their operations."""
    checks = {
        "records without an operation": "SELECT count(*) FROM records r WHERE r.origin = 'own' AND NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.record_id = r.record_id)",
        "records without their version": "SELECT count(*) FROM records r WHERE NOT EXISTS "
        "(SELECT 1 FROM versions v WHERE v.record_id = r.record_id AND v.version = r.version)",
        "batches without operations": "SELECT count(*) FROM batches b WHERE NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.batch_id = b.id)",
        "operations claimed by no open batch": "SELECT count(*) FROM outbox o WHERE o.state = 'batched' AND NOT "
        "EXISTS (SELECT 1 FROM batches b WHERE b.id = o.batch_id AND b.state = 'signed')",
    }
    with store.engine.connect() as conn:
        return {name: int(conn.execute(text(sql)).scalar_one()) for name, sql in checks.items()}


def _records(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM records")).scalar_one())


def _published_once(net: Net, valid: dict[str, object]) -> None:
    own = {rid: rec for rid, rec in net.chain().items() if rec.owner == PROVINCE.code}
    assert collections.Counter(rec.published for rec in own.values()) == {1: len(valid)}
    assert set(own) == set(valid)
    store = net.store(PROVINCE)
    assert set(store.counts()["outbox"]) == {"done"}
    assert store.open_batches() == [] and store.failed_ops() == []


def _the_error(stderr: str) -> str:
    """The command's message: its one ``error:`` line, and no traceback."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


class Lock:
    """Another connection that watches the store and, once ``ready``, holds its tables
    exclusively until released (one connection throughout: the moment is not missed)."""

    def __init__(self, store: Store) -> None:
        self._pg = store.engine.dialect.name == "postgresql"
        self._engine = create_engine(store.engine.url) if self._pg else None
        self._conn: Connection | None = None
        self._sqlite: sqlite3.Connection | None = None
        if self._engine is not None:
            self._conn = self._engine.connect()
        else:
            path = make_url(str(store.engine.url)).database
            self._sqlite = sqlite3.connect(str(path), timeout=60, isolation_level=None)

    def records(self) -> int:
        if self._conn is not None:
            count = int(self._conn.execute(text("SELECT count(*) FROM records")).scalar_one())
            self._conn.rollback()
            return count
        assert self._sqlite is not None
        return int(self._sqlite.execute("SELECT count(*) FROM records").fetchone()[0])

    def take(self) -> None:
        if self._conn is not None:
            self._conn.execute(text("LOCK TABLE records, versions, outbox, batches IN ACCESS EXCLUSIVE MODE"))
        else:
            assert self._sqlite is not None
            self._sqlite.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        if self._conn is not None:
            self._conn.rollback()
            self._conn.close()
        if self._engine is not None:
            self._engine.dispose()
        if self._sqlite is not None:
            if self._sqlite.in_transaction:
                self._sqlite.rollback()
            self._sqlite.close()


def test_a_store_locked_mid_ingest_stops_it_cleanly_and_a_rerun_completes_once(
    net: Net, export: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, valid = export
    store = net.store(PROVINCE)  # migrated, so that the lock has tables to hold
    argv = net.ingest_command(PROVINCE, path, batch_size=500)
    stdout, stderr = tmp_path / "ingest.out", tmp_path / "ingest.err"
    lock = Lock(store)
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=err, stdin=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + WAIT
        while lock.records() == 0:  # the first chunk is written: lock the store under the ingest
            assert process.poll() is None, stderr.read_text()
            assert time.monotonic() < deadline, "the ingest wrote nothing"
            time.sleep(0.005)
        lock.take()
        code = process.wait(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        lock.release()
    message = _the_error(stderr.read_text(encoding="utf-8"))
    assert code == 1, stderr.read_text()
    assert message.startswith(f"error: store {store.dsn}: "), message
    assert "locked" in message or "lock timeout" in message, message
    assert 0 < _records(store) < len(valid)  # stopped part of the way
    assert _partial_writes(store) == dict.fromkeys(_partial_writes(store), 0)

    done = net.invoke(argv[3:])
    assert done.exit_code == 3, done.output  # 3: the export holds invalid records
    _published_once(net, valid)


@pytest.fixture
def sqlite_net(anvil_url: str, tmp_path: Path) -> Iterator[Net]:
    """``net`` on SQLite stores only: ``max_page_count`` is SQLite's."""
    data_dir = DataDir(tmp_path / "data")
    deployment, _ = init_development(data_dir, rpc_url=anvil_url)
    factory = StoreFactory("sqlite", tmp_path / "stores", None)
    try:
        with Net(data_dir, anvil_url, deployment, factory) as n:
            yield n
    finally:
        factory.close()


def test_a_full_store_stops_the_ingest_cleanly_and_a_rerun_completes_once(
    sqlite_net: Net, export: tuple[Path, dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    net = sqlite_net
    path, valid = export
    store = net.store(PROVINCE)
    database = str(make_url(str(store.engine.url)).database)
    with store.engine.connect() as conn:
        pages = int(conn.execute(text("PRAGMA page_count")).scalar_one())
    original = store_db._sqlite_pragmas

    def full(dbapi_connection: object, record: object) -> None:
        """The pragmas of every store connection, and a ceiling of 50 more pages for this one."""
        original(dbapi_connection, record)
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        if any(row[2] == database for row in cursor.execute("PRAGMA database_list")):
            cursor.execute(f"PRAGMA max_page_count = {pages + 50}")
        cursor.close()

    monkeypatch.setattr(store_db, "_sqlite_pragmas", full)
    args = net.ingest_command(PROVINCE, path, batch_size=500)[3:]
    failed = net.invoke(args)
    assert failed.exit_code == 1, failed.output
    message = _the_error(failed.stderr)
    assert message.startswith(f"error: store {store.dsn}: "), message
    assert "full" in message, message
    assert _records(store) == 0  # the rows of the chunk that did fit were not kept either
    assert _partial_writes(store) == dict.fromkeys(_partial_writes(store), 0)

    monkeypatch.setattr(store_db, "_sqlite_pragmas", original)  # space freed
    done = net.invoke(args)
    assert done.exit_code == 3, done.output
    _published_once(net, valid)

"""The province store on SQLite and PostgreSQL: migrations, the schema they build, atomic writes,
the batch journal's claims, and failures of the database reported as ``StoreUnavailable``."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from adapters.store import (
    Changes,
    Store,
    StoreCorrupt,
    StoreError,
    StoreUnavailable,
    create_store_engine,
    migrate,
    sqlite_dsn,
)
from adapters.store.db import MIGRATIONS
from adapters.store.schema import metadata
from tests.adapters.conftest import StoreFactory

# --- factories --------------------------------------------------------------------------


def record_row(n: int, **overrides: Any) -> dict[str, Any]:
    """A ``records`` row of an own list entry that nothing has anchored yet."""
    row: dict[str, Any] = {
        "record_id": "0x" + f"{n:064x}",
        "kind": "list-entry",
        "province": "zj",
        "local_id": f"ZJ2025B{n:08d}",
        "origin": "own",
        "version": 1,
        "status": 1,
        "anchored_version": 0,
        "anchored_status": 0,
        "subject_tag": "0x" + secrets.token_hex(32),
        "tag_key_version": 1,
        "list_type": 2,
        "domain": 1,
        "scheme_id": None,
        "grade": None,
        "chain_valid_from": 1_700_000_000,
        "chain_valid_until": 0,
        "source_updated_at": "2026-01-02T09:00:00+08:00",
        "block_number": None,
    }
    return {**row, **overrides}


def version_row(n: int, version: int = 1) -> dict[str, Any]:
    return {
        "record_id": "0x" + f"{n:064x}",
        "version": version,
        "commitment": "0x" + secrets.token_hex(32),
        "salt": "0x" + secrets.token_hex(16),
        "record": orjson.dumps({"local_id": f"ZJ2025B{n:08d}", "reason": "情节严重" * 4}).decode(),
    }


def publish_changes(ns: range) -> Changes:
    """Records ``ns`` stored with their first version and a publish operation each."""
    changes = Changes.empty()
    for n in ns:
        changes.new_records.append(record_row(n))
        changes.new_versions.append(version_row(n))
        changes.ops.append({"op": "publish", "record_id": rid(n), "version": 1, "target_status": None})
    return changes


def tx(nonce: int) -> dict[str, Any]:
    return {
        "sender": "0x" + "11" * 20,
        "nonce": nonce,
        "tx_hash": "0x" + secrets.token_hex(32),
        "raw_tx": secrets.token_bytes(120),
        "to_address": "0x" + "22" * 20,
        "gas": 3_000_000,
    }


def rid(n: int) -> str:
    return "0x" + f"{n:064x}"


def nothing_of(store: Store, ns: range) -> None:
    """Assert the store holds no trace of records ``ns``."""
    ids = [rid(n) for n in ns]
    assert store.records(ids) == {}
    assert store.versions([(i, 1) for i in ids]) == {}
    assert not store.has_pending()
    assert store.cursor("sync") is None
    assert store.refusals() == []


@pytest.fixture
def store(stores: StoreFactory) -> Store:
    return stores.open("zj")


def _engine_with(dsn: str, *pragmas: str) -> Engine:
    """A store engine whose connections also run ``pragmas`` (SQLite) after the store's own."""
    engine = create_store_engine(dsn)

    def more(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    event.listen(engine, "connect", more)
    return engine


# --- migrations -------------------------------------------------------------------------


def _head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_migrations_bring_an_empty_database_to_head_and_are_idempotent(stores: StoreFactory) -> None:
    engine = stores.adopt(Store(create_store_engine(stores.dsn("zj")))).engine
    assert inspect(engine).get_table_names() == []

    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert tables == set(metadata.tables) | {"alembic_version"}
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == _head()

    store = Store(engine)
    store.set_cursor("sync", 41)
    migrate(engine)  # a second run changes nothing and keeps the data
    Store.open(stores.dsn("zj")).close()
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == _head()
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    assert set(inspect(engine).get_table_names()) == tables
    assert store.cursor("sync") == 41


def test_migrated_schema_equals_the_metadata(store: Store) -> None:
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


# --- writes -----------------------------------------------------------------------------


def test_write_stores_every_part_of_the_changes(store: Store) -> None:
    changes = publish_changes(range(1, 4))
    changes.cursor = ("sync", 7)
    changes.refusals.append({"record_id": rid(9), "version": 1, "owner": "sh", "reason": "no", "block_number": 7})
    store.write(changes)
    assert set(store.records([rid(n) for n in range(1, 5)])) == {rid(1), rid(2), rid(3)}
    assert [(op.op, op.record.record_id, op.version) for op in store.pending_ops(10)] == [
        ("publish", rid(n), 1) for n in range(1, 4)
    ]
    assert store.cursor("sync") == 7
    assert [r["reason"] for r in store.refusals()] == ["no"]

    later = Changes.empty()
    later.record_updates.append({"record_id": rid(2), "version": 2, "status": 3})
    later.new_versions.append(version_row(2, 2))
    later.version_updates.append({"record_id": rid(1), "version": 1, "salt": None, "record": None})
    later.cursor = ("sync", 9)
    store.write(later)
    assert store.record(rid(2)).version == 2  # type: ignore[union-attr]
    assert store.current_versions([rid(2)])[rid(2)].version == 2
    assert store.version(rid(1), 1).record is None  # type: ignore[union-attr]
    assert store.cursor("sync") == 9


def test_write_is_atomic(store: Store) -> None:
    changes = publish_changes(range(1, 50))
    changes.cursor = ("sync", 12)
    # the last statement of the transaction fails: a refusal without its reason
    changes.refusals.append({"record_id": rid(1), "version": 1, "owner": "sh", "reason": None, "block_number": 3})
    with pytest.raises(StoreError, match="write records") as info:
        store.write(changes)
    assert not isinstance(info.value, StoreUnavailable)
    nothing_of(store, range(1, 50))


def test_a_duplicate_record_fails_the_whole_write(store: Store) -> None:
    store.write(publish_changes(range(1, 3)))
    again = publish_changes(range(2, 5))  # 2 is there already
    with pytest.raises(StoreError):
        store.write(again)
    assert set(store.records([rid(n) for n in range(1, 5)])) == {rid(1), rid(2)}
    assert len(store.pending_ops(10)) == 2


# --- the batch journal ------------------------------------------------------------------


def test_journal_batch_refuses_double_claims(store: Store) -> None:
    store.write(publish_changes(range(1, 5)))
    ops = [op.id for op in store.pending_ops(10)]
    first = store.journal_batch(op="publish", op_ids=ops[:2], tx=tx(0))
    assert [op.id for op in store.pending_ops(10)] == ops[2:]

    with pytest.raises(StoreCorrupt, match="claimed by another publisher"):
        store.journal_batch(op="publish", op_ids=ops[1:3], tx=tx(1))
    # the refused claim left nothing: no batch, its free operation still pending
    assert [b.id for b in store.open_batches()] == [first]
    assert [op.id for op in store.pending_ops(10)] == ops[2:]
    assert [o[0] for o in store.batch_ops(first)] == ops[:2]


def test_journal_batch_claims_exactly_its_operations_whether_consecutive_or_not(store: Store) -> None:
    store.write(publish_changes(range(1, 9)))
    ops = [op.id for op in store.pending_ops(10)]
    run = store.journal_batch(op="publish", op_ids=ops[1:4], tx=tx(0))  # one run of ids: a range
    scattered = store.journal_batch(op="publish", op_ids=[ops[0], ops[5], ops[7]], tx=tx(1))
    assert [o[0] for o in store.batch_ops(run)] == ops[1:4]
    assert [o[0] for o in store.batch_ops(scattered)] == [ops[0], ops[5], ops[7]]
    assert [op.id for op in store.pending_ops(10)] == [ops[4], ops[6]]
    with pytest.raises(StoreCorrupt, match="claimed by another publisher"):
        store.journal_batch(op="publish", op_ids=ops[3:6], tx=tx(2))  # a range over claimed ones
    assert [op.id for op in store.pending_ops(10)] == [ops[4], ops[6]]


def test_the_same_transaction_signed_again_after_its_batch_failed_is_that_batch_again(store: Store) -> None:
    store.write(publish_changes(range(1, 4)))
    ops = [op.id for op in store.pending_ops(10)]
    signed = tx(0)
    first = store.journal_batch(op="publish", op_ids=ops, tx=signed)
    store.fail_batch(first, error="replacement transaction underpriced", failed_ops={})
    # the same operations, nonce and fees sign to the same transaction
    again = store.journal_batch(op="publish", op_ids=ops, tx=signed)
    assert again == first
    assert [(b.id, b.state, b.tx_hash) for b in store.open_batches()] == [(first, "signed", signed["tx_hash"])]
    assert [o[0] for o in store.batch_ops(first)] == ops
    assert store.pending_ops(10) == []


def test_a_transaction_journaled_already_is_not_journaled_twice(store: Store) -> None:
    store.write(publish_changes(range(1, 5)))
    ops = [op.id for op in store.pending_ops(10)]
    signed = tx(0)
    first = store.journal_batch(op="publish", op_ids=ops[:2], tx=signed)
    # another publisher signed the same transaction: refused, its operations left as they were
    with pytest.raises(StoreCorrupt, match="journaled already"):
        store.journal_batch(op="publish", op_ids=ops[2:], tx=signed)
    assert [op.id for op in store.pending_ops(10)] == ops[2:]
    # a failed batch that still holds an operation failed for good is not taken over either
    store.fail_batch(first, error="refused", failed_ops={ops[0]: "the ledger refused it"})
    with pytest.raises(StoreCorrupt, match="journaled already"):
        store.journal_batch(op="publish", op_ids=[ops[1]], tx=signed)
    assert [op.id for op in store.pending_ops(10)] == [ops[1], *ops[2:]]


def test_journal_batch_refuses_a_claim_of_finished_operations(store: Store) -> None:
    store.write(publish_changes(range(1, 3)))
    ops = [op.id for op in store.pending_ops(10)]
    batch = store.journal_batch(op="publish", op_ids=ops, tx=tx(0))
    store.complete_batch(batch, block_number=5, gas_used=60_000)
    with pytest.raises(StoreCorrupt):
        store.journal_batch(op="publish", op_ids=ops[:1], tx=tx(1))
    assert store.open_batches() == []


def test_completed_batch_anchors_its_records_and_a_failed_one_returns_the_rest(store: Store) -> None:
    store.write(publish_changes(range(1, 4)))
    ops = [op.id for op in store.pending_ops(10)]
    batch = store.journal_batch(op="publish", op_ids=ops[:2], tx=tx(0))
    store.complete_batch(batch, block_number=17, gas_used=60_000)
    anchored = store.records([rid(1), rid(2), rid(3)])
    assert [(anchored[rid(n)].anchored_version, anchored[rid(n)].anchored_status) for n in (1, 2, 3)] == [
        (1, 1),
        (1, 1),
        (0, 0),
    ]
    assert anchored[rid(1)].block_number == 17

    status = Changes.empty()
    status.ops.append({"op": "status", "record_id": rid(1), "version": 1, "target_status": 2})
    store.write(status)
    pending = [op.id for op in store.pending_ops(10)]
    failing = store.journal_batch(op="publish", op_ids=pending[:1], tx=tx(1))
    other = store.journal_batch(op="status", op_ids=pending[1:], tx=tx(2))
    store.fail_batch(failing, error="reverted", failed_ops={pending[0]: "the ledger refused it"})
    store.complete_batch(other, block_number=18, gas_used=30_000)
    assert store.record(rid(1)).anchored_status == 2  # type: ignore[union-attr]
    assert store.failed_ops() == [(pending[0], "publish", rid(3), "the ledger refused it")]
    assert store.open_batches() == []
    assert not store.has_pending()


def test_a_failed_batch_without_culprit_returns_every_operation_to_the_outbox(store: Store) -> None:
    store.write(publish_changes(range(1, 4)))
    ops = [op.id for op in store.pending_ops(10)]
    batch = store.journal_batch(op="publish", op_ids=ops, tx=tx(0))
    assert not store.has_pending()
    store.fail_batch(batch, error="replaced", failed_ops={})
    assert [op.id for op in store.pending_ops(10)] == ops
    assert store.failed_ops() == []


# --- the database failing ---------------------------------------------------------------


@contextlib.contextmanager
def lock_held(store: Store, backend: str) -> Iterator[Store]:
    """The store, opened again with a short lock wait, while another connection holds a write
    lock on it (SQLite: an exclusive transaction; PostgreSQL: exclusive table locks)."""
    url = make_url(store.engine.url.render_as_string(hide_password=False))
    if backend == "sqlite":
        waiting = Store(_engine_with(url.render_as_string(), "PRAGMA busy_timeout=200"))
        holder = create_engine(url, isolation_level=None)
        try:
            with holder.connect() as conn:
                conn.exec_driver_sql("BEGIN EXCLUSIVE")
                try:
                    yield waiting
                finally:
                    conn.exec_driver_sql("ROLLBACK")
        finally:
            waiting.close()
            holder.dispose()
        return
    short = url.update_query_dict({"options": f"{url.query['options']} -clock_timeout=200"})
    waiting = Store(create_store_engine(short.render_as_string(hide_password=False)))
    holder = create_engine(url)
    try:
        with holder.connect() as conn, conn.begin():
            conn.exec_driver_sql("LOCK TABLE records, versions, outbox IN ACCESS EXCLUSIVE MODE")
            yield waiting
    finally:
        waiting.close()
        holder.dispose()


def test_a_locked_database_is_unavailable_and_nothing_is_written(store: Store, store_backend: str) -> None:
    changes = publish_changes(range(1, 20))
    with lock_held(store, store_backend) as waiting:
        with pytest.raises(StoreUnavailable, match="nothing of this step was written") as info:
            waiting.write(changes)
        message = str(info.value)
        assert "write records" in message
        assert "lock" in message
    nothing_of(store, range(1, 20))
    store.write(changes)  # once the lock is gone the same write goes through
    assert len(store.records([rid(n) for n in range(1, 20)])) == 19


def test_a_full_sqlite_database_is_unavailable_and_nothing_is_written(tmp_path: Path) -> None:
    """SQLite only: a page limit stands in for a full disk (PostgreSQL's disk cannot be filled
    from a test; its "disk full" SQLSTATE class is mapped the same way)."""
    dsn = sqlite_dsn(tmp_path / "zj.db")
    store = Store.open(dsn)
    store.write(publish_changes(range(1, 3)))
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    full = Store(_engine_with(dsn, f"PRAGMA max_page_count={pages + 2}"))
    with pytest.raises(StoreUnavailable, match="full") as info:
        full.write(publish_changes(range(3, 3_000)))
    assert "nothing of this step was written" in str(info.value)
    full.close()
    assert set(store.records([rid(n) for n in range(1, 3_000)])) == {rid(1), rid(2)}
    assert len(store.pending_ops(10_000)) == 2
    store.close()


def test_a_read_only_database_is_unavailable(stores: StoreFactory) -> None:
    store = stores.open("zj")
    url = make_url(stores.dsn("zj"))
    if stores.backend == "sqlite":
        ro = f"sqlite:///file:{url.database}?mode=ro&uri=true"
    else:
        ro = url.update_query_dict({"options": f"{url.query['options']} -cdefault_transaction_read_only=on"})
        ro = ro.render_as_string(hide_password=False)
    reader = stores.adopt(Store(create_store_engine(ro)))
    with pytest.raises(StoreUnavailable, match="read"):
        reader.write(publish_changes(range(1, 5)))
    assert store.records([rid(1)]) == {}


def test_an_unreachable_postgresql_store_is_unavailable() -> None:
    with pytest.raises(StoreUnavailable, match="cannot open the store") as info:
        Store.open("postgresql+psycopg://yrdx:yrdx@127.0.0.1:1/nowhere?connect_timeout=2")
    assert "refused" in str(info.value).lower()


def test_a_sqlite_store_that_cannot_be_created_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(StoreUnavailable, match="not-a-directory"):
        Store.open(sqlite_dsn(blocker / "stores" / "zj.db"))


def test_every_sqlite_connection_gets_the_store_settings(tmp_path: Path) -> None:
    engine = create_store_engine(sqlite_dsn(tmp_path / "settings.db"))
    try:
        with engine.connect() as first, engine.connect() as second:  # two pooled connections
            for conn in (first, second):
                settings = {
                    name: conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()
                    for name in ("journal_mode", "synchronous", "wal_autocheckpoint", "journal_size_limit")
                }
                assert settings == {
                    "journal_mode": "wal",
                    "synchronous": 1,  # NORMAL
                    "wal_autocheckpoint": 10_000,
                    "journal_size_limit": 64 * 1024 * 1024,
                }
    finally:
        engine.dispose()

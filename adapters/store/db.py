"""Opening a province store: the engine (SQLite in WAL mode by default, or PostgreSQL) and its
schema, brought to the newest migration with Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from adapters.store.errors import StoreError, StoreUnavailable, store_error

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def sqlite_dsn(path: Path) -> str:
    """The DSN of a SQLite store file."""
    return f"sqlite:///{path}"


WAL_CHECKPOINT_PAGES = 10_000  # of 4 KiB
WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes the WAL file is cut back to after a checkpoint


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (gateway, sync) work while the publisher writes; NORMAL keeps every
    # committed transaction across a crash of the process (only a power loss can cost the last
    # few), and the ledger, not the store, is the record of what was published.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # an ingest rewrites the same outbox and index pages batch after batch: copying the WAL
    # back every 40 MB rather than every 4 MB writes (and syncs) each page once for many commits
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


LOCK_TIMEOUT_MS = 10_000  # as long as SQLite's busy timeout


def _postgresql_settings(dbapi_connection: Any, _record: Any) -> None:
    # A lock another session holds fails the statement after this long (SQLSTATE 55P03, a
    # StoreUnavailable) instead of blocking the adapter for ever. Committed at once: the pool
    # rolls back what the first checkout leaves open, and would take the setting with it.
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
    dbapi_connection.commit()


def create_store_engine(dsn: str) -> Engine:
    """An engine for ``dsn`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    try:
        url = make_url(dsn)
    except ArgumentError as exc:
        raise StoreError(f"store DSN {dsn!r} is not a database URL: {exc}") from exc
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            folder = Path(url.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"cannot create the store directory {folder}: {exc.strerror}") from exc
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
        event.listen(engine, "connect", _postgresql_settings)
        return engine
    raise StoreError(f"store DSN {dsn!r}: only sqlite and postgresql are supported")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except (OperationalError, DBAPIError) as exc:
        raise store_error(exc, f"cannot open the store at {engine.url.render_as_string(hide_password=True)}") from exc

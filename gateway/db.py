"""Opening a gateway database: the engine (SQLite in WAL mode by default, or PostgreSQL) and its
schema, brought to the newest migration with Alembic."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError

from gateway.errors import ConfigurationError, ServiceUnavailable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "gateway_alembic_version"  # apart from the store's, should both share a database

T = TypeVar("T")


def sqlite_dsn(path: Path) -> str:
    """The DSN of a SQLite gateway database file."""
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # FULL: a commit is on disk before the response it covers is sent (the audit trail's
    # promise); group commit keeps the fsyncs few.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_gateway_engine(dsn: str) -> Engine:
    """An engine for ``dsn`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    try:
        url = make_url(dsn)
    except ArgumentError as exc:
        raise ConfigurationError(f"gateway database DSN is not a database URL: {exc}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=16)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        return create_engine(url, pool_size=16, max_overflow=8, pool_pre_ping=True)
    raise ConfigurationError(f"gateway database: only sqlite and postgresql are supported, not {backend}")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_table", VERSION_TABLE)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as exc:
        raise ServiceUnavailable(f"cannot open the gateway database: {_reason(exc)}") from exc


def open_engine(dsn: str) -> Engine:
    """An engine for ``dsn`` with the schema migrated."""
    engine = create_gateway_engine(dsn)
    migrate(engine)
    return engine


def run(engine: Engine, what: str, fn: Callable[[Connection], T], *, write: bool = False) -> T:
    """Run ``fn`` on a connection (in a transaction when ``write``); a database failure raises
    ``ServiceUnavailable`` naming ``what``. A constraint violation (``IntegrityError``) is the
    caller's to handle and passes through."""
    try:
        if write:
            with engine.begin() as conn:
                return fn(conn)
        with engine.connect() as conn:
            return fn(conn)
    except IntegrityError:
        raise
    except DBAPIError as exc:
        raise ServiceUnavailable(f"gateway database: {what}: {_reason(exc)}") from exc


def _reason(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def insert_many(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert rows (tuples in the order of ``columns``) with one driver-level ``executemany``:
    SQLAlchemy's per-row parameter handling costs more than the database's own work on the
    audit trail's hot path."""
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # table and column names come from the schema, never from data
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    conn.exec_driver_sql(sql, list(rows))

"""What every part of the store stands on: the engine, one transaction per call (with the
database's failures as store errors), and the SQL helpers the parts share."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import DBAPIError

from adapters.store.errors import store_error

T = TypeVar("T")
_IN_CHUNK = 500  # ids per IN (...) query


def chunks(items: Sequence[T], size: int = _IN_CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Database:
    """One province store's database. Safe to share between threads (one connection per call)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Writers of one process take turns here rather than in SQLite's busy handler, which
        # sleeps in steps of milliseconds; other processes still meet the database's own lock.
        self._write_lock = threading.Lock()

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


def param_mark(conn: Connection) -> str:
    """The driver's parameter marker."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def fetch_all(stmt: Any, conn: Connection) -> Sequence[Any]:
    return conn.execute(stmt).all()


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with one driver-level ``executemany`` (SQLAlchemy's per-row parameter
    processing costs more than the database's own work here)."""
    names = [c.name for c in table.columns if c.name in rows[0]]
    mark = param_mark(conn)
    # table and column names come from the schema, never from data
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"  # noqa: S608
    values = itemgetter(*names)
    conn.exec_driver_sql(sql, [values(row) for row in rows] if len(names) > 1 else [(row[names[0]],) for row in rows])

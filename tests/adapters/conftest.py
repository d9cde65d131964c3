"""Shared fixtures of the adapter tests: the province store on each backend.

``stores`` is parametrized over SQLite (a file in the test's temporary directory) and
PostgreSQL (marked ``db``). PostgreSQL stores live in a throwaway database per test module,
created and dropped through the admin DSN (``YRDX_TEST_POSTGRES_DSN``, default the database
``scripts/setup --dev`` creates); each store is a schema of its own in it, selected through the
connection's ``search_path``, so every test starts from empty stores.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from adapters.store import Store, sqlite_dsn
from tests.adapters.shanghai_platform import Platform
from tests.adapters.shanghai_platform import serve as serve_shanghai_platform

PG_ADMIN_ENV = "YRDX_TEST_POSTGRES_DSN"
PG_ADMIN_DEFAULT = "postgresql+psycopg://yrdx:yrdx@127.0.0.1:5432/yrdx_test"

#: Store backends; a test that takes ``stores`` runs once on each.
BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.db))


def pg_admin_dsn() -> str:
    return os.environ.get(PG_ADMIN_ENV) or PG_ADMIN_DEFAULT


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """The DSN of a fresh PostgreSQL database for this test module, dropped afterwards."""
    admin_dsn = pg_admin_dsn()
    admin = create_engine(admin_dsn, isolation_level="AUTOCOMMIT")
    name = f"yrdx_t_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"no PostgreSQL server at {make_url(admin_dsn).render_as_string(hide_password=True)} "
            f"({exc.orig}); run `scripts/setup --dev`, set {PG_ADMIN_ENV}, or deselect with -m 'not db'"
        )
    try:
        yield make_url(admin_dsn).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


class StoreFactory:
    """Empty province stores of one backend, each under a name; closed at the end of the test."""

    def __init__(self, backend: str, root: Path, pg_dsn: str | None) -> None:
        self.backend = backend
        self._root = root
        self._pg_dsn = pg_dsn
        self._dsns: dict[str, str] = {}
        self._open: list[Store] = []

    def dsn(self, name: str) -> str:
        """The DSN of the store ``name`` (the same for every call in one test)."""
        if name not in self._dsns:
            self._dsns[name] = self._new_dsn(name)
        return self._dsns[name]

    def _new_dsn(self, name: str) -> str:
        if self._pg_dsn is None:
            return sqlite_dsn(self._root / f"{name}.db")
        schema = f"s_{name}_{secrets.token_hex(4)}"
        admin = create_engine(self._pg_dsn, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        finally:
            admin.dispose()
        url = make_url(self._pg_dsn).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def open(self, name: str) -> Store:
        """Open (migrating) the store ``name``; it is closed when the test ends."""
        store = Store.open(self.dsn(name))
        self._open.append(store)
        return store

    def adopt(self, store: Store) -> Store:
        """Close ``store`` at the end of the test too."""
        self._open.append(store)
        return store

    def close(self) -> None:
        for store in self._open:
            store.close()


@pytest.fixture(params=BACKENDS)
def store_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture
def stores(store_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StoreFactory]:
    """Fresh stores on the backend under test."""
    pg = request.getfixturevalue("pg_database") if store_backend == "postgresql" else None
    factory = StoreFactory(store_backend, tmp_path / "stores", pg)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def platform() -> Iterator[tuple[Platform, str]]:
    """Shanghai's platform serving the bundled sample entries, and its export endpoint's base URL."""
    with serve_shanghai_platform() as served:
        yield served

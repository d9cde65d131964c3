"""The province store (SQLite by default, PostgreSQL supported) with Alembic migrations."""

from adapters.store.db import create_store_engine, migrate, sqlite_dsn
from adapters.store.errors import StoreCorrupt, StoreError, StoreUnavailable
from adapters.store.rows import Batch, Changes, OutboxOp, StoredRecord, StoredVersion
from adapters.store.store import Store

__all__ = [
    "Batch",
    "Changes",
    "OutboxOp",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreUnavailable",
    "StoredRecord",
    "StoredVersion",
    "create_store_engine",
    "migrate",
    "sqlite_dsn",
]

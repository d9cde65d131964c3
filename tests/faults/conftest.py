"""Fixtures of the fault-injection suite: the pipeline tests' exchange on anvil (``net``) and the
store backends it runs on, for the smaller faults that need no process of their own."""

from tests.adapters.conftest import pg_database, store_backend, stores
from tests.adapters.pipeline.conftest import net

__all__ = ["net", "pg_database", "store_backend", "stores"]

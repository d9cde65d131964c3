"""Errors of the province store.

AdapterError (adapters.core.errors)
└── StoreError                  the store cannot be opened, read or written
    ├── StoreUnavailable        the database is locked, full, read-only or unreachable
    └── StoreCorrupt            the store's content contradicts itself or the ledger
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from adapters.core.errors import AdapterError


class StoreError(AdapterError):
    pass


class StoreUnavailable(StoreError):
    pass


class StoreCorrupt(StoreError):
    pass


_UNAVAILABLE = (
    "database is locked",
    "disk is full",
    "database or disk is full",
    "no space left",
    "readonly database",
    "read-only",
    "could not connect",
    "connection refused",
    "unable to open database",
    "could not extend file",
)

# PostgreSQL SQLSTATE classes of the same conditions: connection exceptions (08), insufficient
# resources such as a full disk (53), operator intervention and shutdown (57P), a lock wait
# that timed out (55P03), a read-only transaction (25006).
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P", "55P03", "25006")


def store_error(exc: DBAPIError, what: str) -> StoreError:
    """A clear store error for a database failure: what was being done and the database's reason."""
    reason = str(exc.orig) if exc.orig is not None else str(exc)
    reason = reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if (isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES)) or any(
        marker in reason.lower() for marker in _UNAVAILABLE
    ):
        return StoreUnavailable(f"{what}: {reason}; nothing of this step was written")
    return StoreError(f"{what}: {reason}")
